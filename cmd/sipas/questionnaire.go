package main

import (
	"fmt"
	"io"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
)

func init() {
	c := &command{
		name:    "questionnaire",
		usage:   "template [--id " + index.DefaultQuestionnaireID + "] [--out FILE] | check FILE",
		summary: "write a built-in questionnaire as a starting point for one's own, or check a questionnaire file",
	}
	c.run = func(e *env, args []string) error { return runQuestionnaire(e, c, args) }
	register(c)
}

var (
	qTemplateCmd = &command{name: "questionnaire template", usage: "[--id ID] [--out FILE]",
		summary: "write a built-in questionnaire's JSON (to standard output, or --out FILE): edit its columns, labels, codes and weights, then give it to --questionnaire"}
	qCheckCmd = &command{name: "questionnaire check", usage: "FILE",
		summary: "check a questionnaire file and print its elements and criteria"}
)

func runQuestionnaire(e *env, c *command, args []string) error {
	if len(args) == 0 {
		return usagef("name a subcommand: template or check")
	}
	switch args[0] {
	case "template":
		fs := newFlagSet(e, qTemplateCmd)
		id := fs.String("id", index.DefaultQuestionnaireID, fmt.Sprintf("built-in questionnaire: %v", index.BuiltinQuestionnaires()))
		out := fs.String("out", "-", "output file (- for standard output)")
		if err := parseFlags(e, qTemplateCmd, fs, args[1:]); err != nil {
			return err
		}
		b, err := index.BuiltinQuestionnaireJSON(*id)
		if err != nil {
			return usagef("--id: %v", err)
		}
		return arrowio.WriteText(*out, e.stdout, func(w io.Writer) error { _, err := w.Write(b); return err })
	case "check":
		if len(args) != 2 || args[1] == "-h" || args[1] == "--help" {
			if len(args) == 2 {
				fmt.Fprintf(e.stdout, "sipas %s — %s\n\nusage: sipas %s %s\n", qCheckCmd.name, qCheckCmd.summary, qCheckCmd.name, qCheckCmd.usage)
				return nil
			}
			return usagef("questionnaire check takes one file")
		}
		q, err := index.LoadQuestionnaire(args[1])
		if err != nil {
			return badInput(fmt.Errorf("%s: %w", displayName(args[1]), err))
		}
		fmt.Fprintf(e.stdout, "questionnaire %s (%s): scale %d–%d, satisfied %v, no answer %v\n", q.ID, q.Version, q.Scale.Min, q.Scale.Max, q.Satisfied, q.Missing)
		for _, el := range q.Elements {
			fmt.Fprintf(e.stdout, "  %s (weight %.4g): %s\n", el.ID, el.Weight, el.Label.VI)
			for _, cr := range q.CriteriaOf(el.ID) {
				fmt.Fprintf(e.stdout, "    %-16s weight %.4g  %s\n", cr.Column, cr.Weight, cr.Label.VI)
			}
		}
		if len(q.Expectations) > 0 {
			fmt.Fprintf(e.stdout, "  %d expectation items\n", len(q.Expectations))
		}
		return nil
	case "-h", "--help", "help":
		fmt.Fprintf(e.stdout, "sipas questionnaire — %s\n\nusage:\n  sipas %s %s\n  sipas %s %s\n\nMore in docs/questionnaire.md and docs/cli.md in the sipas source tree.\n",
			c.summary, qTemplateCmd.name, qTemplateCmd.usage, qCheckCmd.name, qCheckCmd.usage)
		return nil
	}
	return usagef("unknown subcommand %q: use template or check", args[0])
}
