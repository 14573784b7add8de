package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadValid(t *testing.T) {
	c, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen default", c.Listen, DefaultListen},
		{"metrics default", c.MetricsListen, DefaultMetricsListen},
		{"bedrock region from config", c.Routes[0].Bedrock.Region, "us-east-1"},
		{"sagemaker region kept", c.Routes[1].SageMaker.Region, "eu-west-1"},
		{"timeout", c.Routes[0].Timeout.D(), 2 * time.Minute},
		{"default timeout", c.Routes[1].Timeout.D(), DefaultRouteTimeout},
		{"replicas default", c.RateLimit.Replicas, 1},
		{"header timeout", c.Limits.HeaderReadTimeout.D(), 5 * time.Second},
		{"streams default", c.Limits.MaxConcurrentStreams, DefaultMaxConcurrentStreams},
		{"upstream model of model route", c.Routes[2].UpstreamModel(), "meta-llama/Llama-3.1-8B-Instruct"},
		{"backend", c.Routes[1].Backend(), "sagemaker"},
		{"listed caller routes", c.Policy("team-search").Routes, []string{"llama"}},
		{"listed caller limit", c.Policy("team-search").RateLimit.RequestBurst(), 5},
		{"listed caller without fields takes defaults", c.Policy("team-ads").AllRoutes, true},
		{"listed caller with routes: [] may use none", c.Policy("team-suspended").AllRoutes || len(c.Policy("team-suspended").Routes) > 0, false},
		{"unlisted caller takes defaults", c.Policy("someone").RateLimit.TokensPerMinute, 200000},
		{"default burst", c.Policy("someone").RateLimit.RequestBurst(), 60},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if !equal(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func equal(a, b any) bool {
	as, ok1 := a.([]string)
	bs, ok2 := b.([]string)
	if ok1 && ok2 {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// TestMarshalRoundTrip checks that what Marshal writes (render's form) loads back unchanged.
func TestMarshalRoundTrip(t *testing.T) {
	c, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Parse("marshalled.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(c, c2) {
		b2, _ := Marshal(c2)
		t.Errorf("round trip changed the config:\n%s\n---\n%s", b, b2)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct{ name, file string }{
		{"every problem at once", "testdata/invalid.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.file)
			if err == nil || !IsInvalid(err) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			golden(t, filepath.Join("testdata", filepath.Base(tt.file)+".golden"), err.Error()+"\n")
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"syntax", "apiVersion: [", "c.yaml:1:1: did not find expected node content"},
		{"empty", "", "c.yaml:1:1: empty document"},
		{"not a mapping", "- a", "c.yaml:1:1: expected a mapping, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(string(want)), B: difflib.SplitLines(got), FromFile: path, ToFile: "got", Context: 2})
		t.Errorf("mismatch (-update to rewrite):\n%s", diff)
	}
}
