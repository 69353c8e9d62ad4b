package report

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestEChartsAsset checks the vendored ECharts build against the checksum
// and version recorded in assets/README.md (npm echarts@5.6.0,
// dist/echarts.min.js) and that its licence is the Apache License 2.0.
func TestEChartsAsset(t *testing.T) {
	sum := sha256.Sum256(echartsJS)
	if got := hex.EncodeToString(sum[:]); got != "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1" {
		t.Errorf("echarts.min.js sha256 %s: not the vendored 5.6.0 build (update assets/README.md and this test when upgrading)", got)
	}
	if !strings.Contains(string(echartsJS), `version="`+EChartsVersion+`"`) {
		t.Errorf("echarts.min.js does not declare version %s", EChartsVersion)
	}
	if !strings.Contains(EChartsLicense, "Apache License") || !strings.Contains(EChartsLicense, "Version 2.0") {
		t.Error("assets/LICENSE is not the Apache License 2.0")
	}
}
