package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestUnknownCommandsFail: a mistyped subcommand or a stray argument must
// fail, never print help and exit 0, on every command of the tree.
func TestUnknownCommandsFail(t *testing.T) {
	for _, args := range [][]string{
		{"tariff", "imprt", "x.csv"},
		{"user", "numbers", "1"},
		{"user", "number", "ad", "1", "2"},
		{"bogus"},
	} {
		out, err := runCLI(args...)
		if err == nil || !strings.Contains(out, "unknown command") {
			t.Errorf("radbill %s: err %v, output %q; want an unknown command error", strings.Join(args, " "), err, out)
		}
	}
	if out, _ := runCLI("tariff", "imprt"); !strings.Contains(out, "did you mean import") {
		t.Errorf("no suggestion for a one-letter typo: %q", out)
	}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		// Five stray words are more than any command takes.
		args := append(strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "radbill")), "stray1", "stray2", "stray3", "stray4", "stray5")
		if _, err := runCLI(args...); err == nil {
			t.Errorf("radbill %s accepted stray arguments", strings.Join(args, " "))
		}
	}
	walk(rootCommand())
}

// TestGroupHelpNamesSubcommands: a group's summary lists its subcommands
// as they are spelled (it once said "numbers" for "number").
func TestGroupHelpNamesSubcommands(t *testing.T) {
	for _, group := range rootCommand().Commands() {
		_, list, found := strings.Cut(group.Short, ": ")
		if !found || !group.HasSubCommands() {
			continue
		}
		for _, word := range strings.Split(list, ", ") {
			name := strings.Fields(word)[0]
			if sub, _, err := group.Find([]string{name}); err != nil || sub == group {
				t.Errorf("radbill %s: summary names %q, which is not one of its subcommands", group.Name(), name)
			}
		}
	}
}

func runCLI(args ...string) (string, error) {
	cmd := rootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}
