package report

// pageHTML is the report page. html/template escapes every value by its
// context; chart options go into <script type="application/json"> blocks
// (JSON with < > & escaped) and the fixed init script at the end reads them
// with JSON.parse. No element loads anything from a host.
const pageHTML = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:"Noto Sans","Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 40px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin:24px 0 4px}h2{font-size:1.25em;margin-top:36px;border-bottom:2px solid #5470c6;padding-bottom:4px}
h3{font-size:1.05em;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:.9em;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ccd;padding:3px 8px;text-align:right}th{background:#eef2fa}
td.l,th.l{text-align:left}
.chart{width:100%;margin:8px 0}
.radars{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(320px,100%),1fr));gap:8px}
@media (max-width:600px){body{padding:0 8px 32px}table{font-size:.8em}th,td{padding:2px 5px}}
.tier1{background:#d6dcf0}.tier2{background:#e3eef7}.tier3{background:#eef8f9}.tier4{background:#fafdf9}
.note{color:#555;font-size:.9em}
.q-fix_first td:last-child{color:#d55e00;font-weight:bold}.q-keep_up td:last-child{color:#0072b2}
nav a{margin-right:12px}
@page{size:A4;margin:16mm 14mm 18mm}
@media print{body{max-width:none;padding:0;font-size:10pt;line-height:1.35}nav,noscript{display:none}
h2{margin-top:18px}h2,h3{break-after:avoid}
table{display:table;overflow:visible;max-width:none;font-size:8.5pt}thead{display:table-header-group}tr,.chart{break-inside:avoid}
th,td{padding:2px 5px}div[style*="overflow"]{overflow:visible!important}
.chart>div,.chart canvas{max-width:100%!important}.chart canvas{height:auto!important}
.radars{grid-template-columns:repeat(3,1fr)}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{if .Years}}<p class="note">{{index .T "sec.trend"}}: {{.Years}}</p>{{end}}
{{if .Generated}}<p class="note">{{.Generated}}</p>{{end}}
<nav><a href="#national">{{index .T "sec.national"}}</a>{{if .Ranking}}<a href="#ranking">{{index .T "sec.ranking"}}</a><a href="#heatmap">{{index .T "sec.heatmap"}}</a>{{end}}{{if .Strengths}}<a href="#strengths">{{index .T "sec.strengths"}}</a>{{end}}{{if .Radars}}<a href="#radar">{{index .T "sec.radar"}}</a>{{end}}{{if .IPA}}<a href="#ipa">{{index .T "sec.ipa"}}</a>{{end}}<a href="#trend">{{index .T "sec.trend"}}</a>{{if .Expect}}<a href="#expectations">{{index .T "sec.expect"}}</a>{{end}}<a href="#quality">{{index .T "sec.quality"}}</a>{{if .Fieldwork}}<a href="#fieldwork">{{index .T "sec.fieldwork"}}</a>{{end}}<a href="#methods">{{index .T "sec.methods"}}</a></nav>
<noscript><p class="note">{{index .T "nojs"}}</p></noscript>
{{if .Summary}}<section id="summary"><h2>{{index .T "sec.summary"}}</h2>
{{range .Summary}}<p>{{.}}</p>
{{end}}</section>{{end}}

<h2 id="national">{{index .T "sec.national"}}</h2>
{{with .NatChart}}{{template "chart" .}}{{end}}
<table>
<thead><tr><th class="l">{{index .T "col.index"}}</th><th>{{index .T "col.estimate"}}</th><th>{{index .T "col.se"}}</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.n"}}</th><th>{{index .T "col.deff"}}</th><th class="l">{{index .T "col.flag"}}</th></tr></thead>
{{range .National}}<tr><td class="l">{{.Label}}</td><td>{{.Est}}</td><td>{{.SE}}</td><td>{{.CI}}</td><td>{{.N}}</td><td>{{.Deff}}</td><td class="l">{{.Flag}}</td></tr>
{{end}}</table>
{{if .Criteria}}<h3>{{index .T "sec.criteria"}}</h3>
<table>
<thead><tr><th class="l">{{index .T "col.criterion"}}</th><th>{{index .T "col.estimate"}}</th><th>{{index .T "col.se"}}</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.n"}}</th><th>{{index .T "col.deff"}}</th><th class="l">{{index .T "col.flag"}}</th></tr></thead>
{{range .Criteria}}<tr><td class="l">{{.Label}}</td><td>{{.Est}}</td><td>{{.SE}}</td><td>{{.CI}}</td><td>{{.N}}</td><td>{{.Deff}}</td><td class="l">{{.Flag}}</td></tr>
{{end}}</table>{{end}}

{{if .Ranking}}
<h2 id="ranking">{{index .T "sec.ranking"}}: {{.ByLabel}}</h2>
{{if .Capped}}<p class="note capped">{{.Capped}}</p>{{end}}
{{with .RankChart}}{{template "chart" .}}{{end}}
{{with .Map}}{{template "chart" .Chart}}<p class="note">{{.Note}}</p>{{end}}
<table>
<thead><tr><th>{{index .T "col.rank"}}</th>{{if .HasRanks}}<th>{{index .T "col.rank_ci"}}</th><th>{{index .T "col.tier"}}</th>{{end}}<th class="l">{{.ByLabel}}</th><th>SIPAS (%)</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.n"}}</th>{{if .HasVsNat}}<th>{{index .T "col.vs_nation"}}</th>{{end}}</tr></thead>
{{$hr := .HasRanks}}{{$vn := .HasVsNat}}{{range .Ranking}}<tr class="{{.TierClass}}"><td>{{.Rank}}</td>{{if $hr}}<td>{{.RankCI}}</td><td>{{.Tier}}</td>{{end}}<td class="l">{{.Name}}</td><td>{{.Est}}</td><td>{{.CI}}</td><td>{{.N}}</td>{{if $vn}}<td>{{.VsNat}}</td>{{end}}</tr>
{{end}}</table>{{with .RankNote}}
<p class="note">{{.}}</p>{{end}}
{{template "ranking-table" .}}

<h2 id="heatmap">{{index .T "sec.heatmap"}}</h2>
{{if .Capped}}<p class="note capped">{{.Capped}}</p>{{end}}
{{with .Heatmap}}{{template "chart" .}}{{end}}
<table>
<thead><tr><th class="l">{{.ByLabel}}</th>{{range .HeatHead}}<th>{{.}}</th>{{end}}</tr></thead>
{{range .HeatRows}}<tr><td class="l">{{.Name}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>

{{if .Strengths}}
<h2 id="strengths">{{index .T "sec.strengths"}}</h2>
<p class="note">{{index .T "sw.note"}} {{index .T "sw.rule"}}</p>
{{if .Capped}}<p class="note capped">{{.Capped}}</p>{{end}}
<table>
<thead><tr><th class="l">{{.ByLabel}}</th><th class="l">{{index .T "col.strengths"}}</th><th class="l">{{index .T "col.weaknesses"}}</th>{{if .HasIPA}}<th class="l">{{index .T "col.fix_first"}}</th>{{end}}</tr></thead>
{{$ipa := .HasIPA}}{{range .Strengths}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Strengths}}</td><td class="l">{{.Weaknesses}}</td>{{if $ipa}}<td class="l">{{.FixFirst}}</td>{{end}}</tr>
{{end}}</table>
{{end}}

<h2 id="radar">{{index .T "sec.radar"}}</h2>
{{if .RadarNote}}<p class="note">{{.RadarNote}}</p>{{end}}
<div class="radars">
{{range .Radars}}{{template "chart" .}}{{end}}
</div>
{{end}}

{{with .IPA}}
<h2 id="ipa">{{index $.T "sec.ipa"}}</h2>
<p class="note">{{index $.T "ipa.note"}}</p>
{{with .Chart}}{{template "chart" .}}{{end}}
<table>
<thead><tr><th class="l">id</th><th class="l">{{index $.T "col.criterion"}}</th><th>{{index $.T "col.importance"}}</th><th>{{index $.T "col.performance"}}</th><th>{{index $.T "col.n"}}</th><th class="l">{{index $.T "col.quadrant"}}</th></tr></thead>
{{range .Rows}}<tr class="{{.Class}}"><td class="l">{{.Code}}</td><td class="l">{{.Label}}</td><td>{{.Importance}}</td><td>{{.Performance}}</td><td>{{.N}}</td><td class="l">{{.Quadrant}}</td></tr>
{{end}}</table>
{{end}}

<h2 id="trend">{{index .T "sec.trend"}}</h2>
{{with .Trend}}{{template "chart" .}}{{end}}
{{with .DomTrend}}{{template "chart" .}}{{end}}
{{if .TrendNote}}<p class="note">{{.TrendNote}}</p>{{end}}
{{if .Trend}}
<h3>{{index .T "sec.changes"}}</h3>
{{if and .Capped .Changes}}<p class="note capped">{{.Capped}}</p>{{end}}
{{if .Changes}}<table>
<thead><tr><th class="l">{{.ByLabel}}</th><th class="l">{{index .T "col.index"}}</th><th>{{index .T "col.year"}}</th><th>{{index .T "col.change"}}</th><th>{{index .T "col.p"}}</th><th class="l"></th></tr></thead>
{{range .Changes}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Index}}</td><td>{{.Year}}</td><td>{{.Change}}</td><td>{{.P}}</td><td class="l">{{.Dir}}</td></tr>
{{end}}</table>{{else}}<p class="note">{{.NoChanges}}</p>{{end}}
{{end}}

{{if .Expect}}
<h2 id="expectations">{{index .T "sec.expect"}}</h2>
{{with .ExpChart}}{{template "chart" .}}{{end}}
<table>
<thead><tr><th class="l">{{index .T "col.expectation"}}</th><th>{{index .T "col.share"}}</th><th>{{index .T "col.se"}}</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.n"}}</th></tr></thead>
{{range .Expect}}<tr><td class="l">{{.Label}}</td><td>{{.Est}}</td><td>{{.SE}}</td><td>{{.CI}}</td><td>{{.N}}</td></tr>
{{end}}</table>
{{end}}

<h2 id="quality">{{index .T "sec.quality"}}</h2>
{{if .QYears}}<table>
<thead><tr><th>{{index .T "col.year"}}</th><th>{{index .T "q.issued"}}</th><th>{{index .T "q.returned"}}</th><th>{{index .T "col.rr"}} (%)</th><th>{{index .T "q.rows_in"}}</th><th>{{index .T "q.rows_used"}}</th><th>{{index .T "q.rows_excluded"}}</th></tr></thead>
{{range .QYears}}<tr><td>{{.Year}}</td><td>{{.Issued}}</td><td>{{.Returned}}</td><td>{{.RR}}</td><td>{{.RowsIn}}</td><td>{{.Used}}</td><td>{{.Excluded}}</td></tr>
{{end}}</table>{{end}}
{{with .Quality}}
{{if .Counts}}<table>{{range .Counts}}<tr><td class="l">{{.K}}</td><td>{{.V}}</td></tr>
{{end}}</table>{{end}}
{{if .Reasons}}<table><thead><tr><th class="l">{{index $.T "col.reason"}}</th><th>{{index $.T "col.rows"}}</th></tr></thead>
{{range .Reasons}}<tr><td class="l">{{.K}}</td><td>{{.V}}</td></tr>
{{end}}</table>{{end}}
{{with .RRChart}}{{template "chart" .}}{{end}}
{{if .Rates}}<table><thead><tr><th class="l">{{index $.T "col.class"}}</th><th>{{index $.T "col.issued"}}</th><th>{{index $.T "col.returned"}}</th><th>{{index $.T "col.valid"}}</th><th>{{index $.T "col.rr"}} (%)</th><th>{{index $.T "col.vr"}} (%)</th></tr></thead>
{{range .Rates}}<tr><td class="l">{{.Class}}</td><td>{{.Issued}}</td><td>{{.Returned}}</td><td>{{.Valid}}</td><td>{{.RR}}</td><td>{{.VR}}</td></tr>
{{end}}</table>{{end}}
{{if .Misses}}<h3 id="weighting-warnings">{{index $.T "q.warnings"}}</h3>
<p>{{.MissNote}}</p>
<table><thead><tr>{{range $i, $h := .MissHead}}<th{{if lt $i 3}} class="l"{{end}}>{{$h}}</th>{{end}}</tr></thead>
{{range .Misses}}<tr><td class="l">{{.Step}}</td><td class="l">{{.Margin}}</td><td class="l">{{.Class}}</td><td>{{.Target}}</td><td>{{.Final}}</td><td>{{.Gap}}</td><td class="l">{{.Trim}}</td></tr>
{{end}}</table>{{end}}
{{else}}<p class="note">{{index .T "q.none"}}</p>{{end}}

{{with .Fieldwork}}
<h2 id="fieldwork">{{index $.T "sec.fieldwork"}}</h2>
<p class="note">{{.Note}}</p>
{{if .Coverage}}<table>{{range .Coverage}}<tr><td class="l">{{.K}}</td><td>{{.V}}</td></tr>
{{end}}</table>{{end}}
{{if .Errors}}<h3>{{index $.T "fw.errors"}}</h3>
<table><thead><tr><th class="l">{{index $.T "col.collector"}}</th><th>{{index $.T "col.differences"}}</th><th>{{index $.T "col.comparisons"}}</th><th>{{index $.T "col.error_rate"}} (%)</th><th>{{index $.T "col.flagged"}}</th></tr></thead>
{{range .Errors}}<tr><td class="l">{{.Collector}}</td><td>{{.Differences}}</td><td>{{.Comparisons}}</td><td>{{.Rate}}</td><td>{{.Flag}}</td></tr>
{{end}}</table>{{end}}
{{if .AtRisk}}<h3>{{index $.T "fw.at_risk"}}</h3>
<table><thead><tr><th class="l">{{$.ByLabel}}</th><th class="l">{{index $.T "col.collector"}}</th><th>{{index $.T "col.ballots"}}</th><th>{{index $.T "col.risk"}}</th><th>{{index $.T "col.risk_sum"}}</th></tr></thead>
{{range .AtRisk}}<tr><td class="l">{{.Group}}</td><td class="l">{{.Collector}}</td><td>{{.Ballots}}</td><td>{{.Risk}}</td><td>{{.RiskSum}}</td></tr>
{{end}}</table>{{end}}
{{if .Groups}}<h3>{{index $.T "fw.screening"}}</h3>
<table><thead><tr><th class="l">{{$.ByLabel}}</th><th>{{index $.T "col.ballots"}}</th><th>{{index $.T "col.collectors"}}</th><th>{{index $.T "col.match_ref"}} (%)</th><th>{{index $.T "col.near_copies"}}</th><th>{{index $.T "col.straightlined"}}</th><th>{{index $.T "col.duplicates"}}</th><th>{{index $.T "col.at_risk"}}</th></tr></thead>
{{range .Groups}}<tr><td class="l">{{.Group}}</td><td>{{.Ballots}}</td><td>{{.Collectors}}</td><td>{{.MatchRef}}</td><td>{{.NearCopies}}</td><td>{{.Straightlined}}</td><td>{{.Duplicates}}</td><td>{{.AtRisk}}</td></tr>
{{end}}</table>{{end}}
{{end}}

<h2 id="methods">{{index .T "sec.methods"}}</h2>
{{range .Methods}}<p>{{.}}</p>
{{end}}
<p class="note">{{index .T "footer"}}</p>
{{with .Map}}<p class="note">{{.Note}}</p>
{{end}}
{{with .Map}}<script type="application/json" id="geo-{{.GeoID}}">{{.GeoJSON}}</script>
{{end}}{{range .Charts}}<script type="application/json" id="opt-{{.ID}}">{{.OptionJSON}}</script>
{{end}}
<script>{{.ECharts}}</script>
<script>
(function () {
  var done = 0, failed = 0;
  // Maps first: a map chart needs its boundaries registered.
  var geos = document.querySelectorAll("script[type='application/json'][id^='geo-']");
  for (var g = 0; g < geos.length; g++) {
    try {
      echarts.registerMap(geos[g].id.slice(4), JSON.parse(geos[g].textContent));
    } catch (e) {
      failed++;
      if (window.console) { console.error("map " + geos[g].id + ": " + e); }
    }
  }
  var els = document.querySelectorAll("div[data-chart]"), inst = [];
  for (var i = 0; i < els.length; i++) {
    var el = els[i];
    try {
      var src = document.getElementById("opt-" + el.id);
      var option = JSON.parse(src.textContent);
      var c = echarts.init(el, null, {renderer: "canvas"});
      c.setOption(option);
      inst.push(c);
      done++;
    } catch (e) {
      failed++;
      if (window.console) { console.error("chart " + el.id + ": " + e); }
    }
  }
  // The charts follow the width of the window (a phone turned, a window
  // resized).
  window.addEventListener("resize", function () {
    for (var k = 0; k < inst.length; k++) { inst[k].resize(); }
  });
  document.body.setAttribute("data-rendered", String(done));
  document.body.setAttribute("data-chart-errors", String(failed));
})();
</script>
</body>
</html>
{{define "chart"}}<div class="chart" id="{{.ID}}" data-chart="1" style="height:{{.Height}}px"></div>{{end}}
`
