package main

import "golang.org/x/crypto/acme"

// newACMEClient is a client of another ACME directory than Let's Encrypt
// (a staging or test CA).
func newACMEClient(directory string) *acme.Client { return &acme.Client{DirectoryURL: directory} }
