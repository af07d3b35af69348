// Command coinop runs the coinop server and its tools.
//
//	coinop [serve]                      run the server (default)
//	coinop migrate                      apply database migrations and exit
//	coinop apikey create --user NAME [--role ROLE]
//	coinop apikey list
//	coinop apikey revoke ID
//	coinop operator grant EMAIL | --id N
//	coinop machine add --name NAME --kind vending|arcade
//	coinop machine run --url URL --key KEY --kind vending|arcade [--on-release CMD] [--on-coin CMD]
//	coinop machine legacy --id N --namespace vending-machine|arcade --legacy-id ID
//	coinop bench ticker [--clients N] [--duration D] [--url URL] [--key KEY]
//
// Global flags may stand before or after the command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/coinop/coinop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "coinop:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// command is one subcommand: its words, its own flags and what it does.
type command struct {
	words []string // e.g. {"apikey", "create"}
	args  string   // positional arguments after the words, for help
	help  string
	flags func(fs *flag.FlagSet, o *cmdOptions)
	run   func(ctx context.Context, e *env, args []string) error
}

// cmdOptions holds the flags that belong to particular commands.
type cmdOptions struct {
	user, role string
	id         int64
	machine    machineOptions
	bench      benchOptions
}

// env is what a command runs with.
type env struct {
	cfg            Config
	opts           cmdOptions
	getenv         func(string) string
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{words: []string{"serve"}, help: "run the server (the default command)", run: runServe},
		{words: []string{"migrate"}, help: "apply database migrations and exit", run: runMigrate},
		{words: []string{"apikey", "create"}, help: "create an API key and print it", run: runAPIKeyCreate,
			flags: func(fs *flag.FlagSet, o *cmdOptions) {
				fs.StringVar(&o.user, "user", "", "user id the key belongs to (required)")
				fs.StringVar(&o.role, "role", coinop.RoleUser, "role: user or operator")
			}},
		{words: []string{"apikey", "list"}, help: "list API keys (never the keys themselves)", run: runAPIKeyList},
		{words: []string{"apikey", "revoke"}, args: "ID", help: "revoke an API key; its tokens stop working within seconds", run: runAPIKeyRevoke},
		{words: []string{"operator", "grant"}, args: "EMAIL", help: "make an existing person an operator (or --id N)", run: runOperatorGrant,
			flags: func(fs *flag.FlagSet, o *cmdOptions) {
				fs.Int64Var(&o.id, "id", 0, "the person's id, instead of an e-mail")
			}},
		{words: []string{"machine", "add"}, help: "add a machine; prints its id and its API key (shown once)", run: runMachineAdd, flags: bindMachineAddFlags},
		{words: []string{"machine", "run"}, help: "run the reference machine client (shows the code, releases a slot or inserts a coin)", run: runMachineRun, flags: bindMachineRunFlags},
		{words: []string{"bench", "ticker"}, help: "load-test the ticker WebSocket of a running server", run: runBenchTicker, flags: bindBenchFlags},
		{words: []string{"bench", "wallet"}, help: benchWalletHelp, run: runBenchWallet, flags: bindBenchWalletFlags},
		importCommand(),
		legacyCommand(),
	}
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{cfg: DefaultConfig(), getenv: getenv, stdout: stdout, stderr: stderr}
	if err := e.cfg.LoadEnv(getenv); err != nil {
		return err
	}
	// First pass: find the command words, with every flag known.
	scratch := DefaultConfig()
	var scratchOpts cmdOptions
	all := newFlagSet(&scratch, &scratchOpts, commands()...)
	words, err := parseInterleaved(all, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout)
			return nil
		}
		return usageError{err.Error()}
	}
	if len(words) > 0 && (words[0] == "help") {
		printHelp(stdout)
		return nil
	}
	if len(words) > 0 && words[0] == "version" {
		fmt.Fprintln(stdout, "coinop", coinop.Version)
		return nil
	}
	cmd, rest, err := findCommand(words)
	if err != nil {
		return err
	}
	// Second pass: only the global flags and the command's own.
	fs := newFlagSet(&e.cfg, &e.opts, cmd)
	if _, err := parseInterleaved(fs, args); err != nil {
		return usageError{err.Error()}
	}
	if err := e.cfg.Validate(); err != nil {
		return err
	}
	return cmd.run(ctx, e, rest)
}

func newFlagSet(cfg *Config, o *cmdOptions, cmds ...command) *flag.FlagSet {
	fs := flag.NewFlagSet("coinop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.bind(fs)
	for _, c := range cmds {
		if c.flags == nil {
			continue
		}
		// Commands may share flag names (--url): the first definition
		// serves all in the first pass; the second pass has one command.
		own := flag.NewFlagSet("", flag.ContinueOnError)
		c.flags(own, o)
		own.VisitAll(func(f *flag.Flag) {
			if fs.Lookup(f.Name) == nil {
				fs.Var(f.Value, f.Name, f.Usage)
			}
		})
	}
	return fs
}

// parseInterleaved parses flags wherever they stand and returns the other
// words in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return words, nil
		}
		if rest[0] == "--" {
			return append(words, rest[1:]...), nil
		}
		words, args = append(words, rest[0]), rest[1:]
	}
}

func findCommand(words []string) (command, []string, error) {
	if len(words) == 0 {
		return commands()[0], nil, nil
	}
	for _, c := range commands() {
		if len(words) >= len(c.words) && strings.Join(words[:len(c.words)], " ") == strings.Join(c.words, " ") {
			return c, words[len(c.words):], nil
		}
	}
	return command{}, nil, usageError{fmt.Sprintf("unknown command %q (see coinop --help)", strings.Join(words, " "))}
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "coinop %s: the game fair's bank and a live crypto ticker\n\nUsage: coinop [flags] [command] [flags]\n\nCommands:\n", coinop.Version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-22s %s\n", strings.TrimSpace(strings.Join(c.words, " ")+" "+c.args), c.help)
		if c.flags != nil {
			fs := flag.NewFlagSet("", flag.ContinueOnError)
			var o cmdOptions
			c.flags(fs, &o)
			fs.VisitAll(func(f *flag.Flag) { fmt.Fprintf(w, "      --%-18s %s\n", f.Name, f.Usage) })
		}
	}
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n")
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	cfg.bind(fs)
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" {
			def = " [default " + f.DefValue + "]"
		}
		fmt.Fprintf(w, "  --%-20s %s%s\n", f.Name, f.Usage, def)
	})
}
