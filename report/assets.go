package report

import (
	"bytes"
	_ "embed"
)

// EChartsVersion is the version of the vendored ECharts build
// (assets/README.md: npm package echarts, full build dist/echarts.min.js).
const EChartsVersion = "5.6.0"

// echartsJS is Apache ECharts, inlined once into every HTML report so that
// the page needs no network.
//
//go:embed assets/echarts.min.js
var echartsJS []byte

// EChartsLicense is the Apache 2.0 licence of the vendored ECharts build.
//
//go:embed assets/LICENSE
var EChartsLicense string

func init() {
	// The script is inlined into a <script> element: a "</script" or "<!--"
	// inside it would end the element early. The vendored build has neither;
	// an upgrade that brings one must fail loudly, not produce broken pages.
	low := bytes.ToLower(echartsJS)
	if bytes.Contains(low, []byte("</script")) || bytes.Contains(low, []byte("<!--")) {
		panic("report: assets/echarts.min.js contains </script or <!-- and cannot be inlined")
	}
}
