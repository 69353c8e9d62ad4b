// Package report turns index results into the publications of SIPAS
// (METHODOLOGY §9): one self-contained HTML file that works offline, the
// report as an A4 PDF, the print charts as PNG (300 dpi) and SVG, and the
// tables as CSV for report authors. It is the only package that imports
// chart libraries.
//
// Build a *Data from the surveys of the years (FromSurveys: each year's
// design and ballots; it runs index.Trend and the importance–performance
// analysis), or from per-year index results computed elsewhere
// (FromYears: one index.Result per year, optionally the validation, the
// nonresponse step and the trend rows of index.Trend /
// index.CompareYears), then write it with WriteHTML, Tables + WriteCSV and
// Figures (WritePNG, WriteSVG) and WritePDF, or all of them into a
// directory with WriteDir.
//
// The page shows the national SIPAS and the five elements with their
// intervals, the domains (provinces) ranked with intervals, rank confidence
// sets and tiers, a domain × element heatmap, strengths and weaknesses per
// domain (when the trend rows carry the vs-nation differences), a radar per
// domain against the nation, trend lines and significant changes,
// expectation shares, data quality and response rates, and a methods note;
// labels are Vietnamese by default, English with Options.Lang = LangEN.
//
// Safety. Every label comes from data (province, unit, field names) and is
// treated as text. Chart options are built with go-echarts' option types
// (github.com/go-echarts/go-echarts/v2/opts) but are never rendered by
// go-echarts' templates: go-echarts writes labels into JavaScript without
// escaping and turns strings wrapped in its function marker "__f__" into
// code. Here the options are serialised with encoding/json (which escapes <,
// > and & as \u003c, \u003e, \u0026), placed in
// <script type="application/json"> blocks through html/template, and read by
// a small fixed init script with JSON.parse, so a label can only ever be a
// string value. Tooltips render as canvas rich text, not HTML. No option
// holds a JavaScript function.
//
// Offline. Apache ECharts 5.6.0 (assets/, Apache 2.0) is embedded and inlined
// once; the page has no src or href to any host.
//
// Determinism. Chart element ids are chart-1, chart-2, … in page order, map
// keys are sorted by encoding/json, domains are ordered by rank then name,
// and nothing reads the clock: the same Data and Options give the same
// bytes.
package report
