package main

import "fmt"

// Commands whose capability lands in a later issue. Each is replaced by its
// own file when it lands; until then it says so and exits 1.
func init() {
	for _, c := range []struct{ name, usage, summary, issue string }{} {
		c := c
		cmd := &command{name: c.name, usage: c.usage, summary: c.summary}
		cmd.run = func(e *env, args []string) error {
			// Accept -h so that help works before the command lands.
			if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
				fmt.Fprintf(e.stdout, "sipas %s — %s\n\nusage: sipas %s %s\n\n(lands with %s)\n", cmd.name, cmd.summary, cmd.name, cmd.usage, c.issue)
				return nil
			}
			return fmt.Errorf("%w: this capability lands with the issue on %s", errNotYet, c.issue)
		}
		register(cmd)
	}
}
