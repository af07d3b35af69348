package api_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/coinop/coinop/api"
	"github.com/coinop/coinop/api/apitest"
	coinophttp "github.com/coinop/coinop/http"
	"gopkg.in/yaml.v3"
)

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestSpecErrorCodes ties the contract's error codes to the code: the Error
// schema lists exactly the codes declared in error.go, and each ErrorNNN
// schema accepts exactly the codes that http.StatusOf maps to NNN (the table
// in http/error.go).
func TestSpecErrorCodes(t *testing.T) {
	src, err := os.ReadFile("../error.go")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range regexp.MustCompile(`(?m)^\s*E[A-Z]+\s*=\s*"([a-z_]+)"`).FindAllSubmatch(src, -1) {
		codes = append(codes, string(m[1]))
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d error codes in error.go: %v", len(codes), codes)
	}

	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `yaml:"enum"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas["Error"].Properties["error"].Enum
	a, b := slices.Clone(codes), slices.Clone(enum)
	sort.Strings(a)
	sort.Strings(b)
	if !slices.Equal(a, b) {
		t.Errorf("Error.error enum %v\nwant the codes of error.go %v", b, a)
	}

	statuses := map[int]bool{}
	for _, c := range codes {
		statuses[coinophttp.StatusOf(c)] = true
	}
	for name := range doc.Components.Schemas {
		var n int
		if _, err := fmt.Sscanf(name, "Error%d", &n); err == nil {
			statuses[n] = true
		}
	}
	spec := apitest.Load(t)
	for status := range statuses {
		for _, c := range codes {
			r := &recorder{}
			spec.CheckSchema(r, fmt.Sprintf("Error%d", status), []byte(`{"error":"`+c+`","message":"m"}`))
			if want := coinophttp.StatusOf(c) == status; want != (len(r.errs) == 0) {
				t.Errorf("code %s (status %d) in schema Error%d: accepted %v, want %v (%v)", c, coinophttp.StatusOf(c), status, !want, want, r.errs)
			}
		}
	}
}

// TestSpecEmbedded checks that the embedded bytes are the file.
func TestSpecEmbedded(t *testing.T) {
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(api.OpenAPI) {
		t.Fatal("api.OpenAPI differs from openapi.yaml")
	}
}
