# Side-by-side timing with R survey for quantiles by domain: the median and
# 90th percentile of the waiting time by 63 provinces with Woodruff
# intervals, as R users write it: svyby(~wait, ~province, design,
# svyquantile, quantiles = c(0.5, 0.9), na.rm = TRUE, ci = TRUE).
#
#   SIPAS_BENCH_R=1 go test ./sampling -run TestQuantilesSideBySideR -v
#
# runs this script on the data the Go test writes and prints both timings.
# By hand: Rscript testdata/quantile_bench_r.R FILE.csv
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
des <- svydesign(id = ~psu, strata = ~province, weights = ~weight, data = d)
t0 <- proc.time()
b <- svyby(~wait, ~province, des, svyquantile, quantiles = c(0.5, 0.9), na.rm = TRUE,
           ci = TRUE, keep.var = TRUE)
pt <- proc.time() - t0
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(sprintf("R_SECONDS %.3f wall %.3f cpu\n", pt[["elapsed"]], pt[["user.self"]] + pt[["sys.self"]]))
# svyby's confint() is Wald on the SE; the SE is the Woodruff interval's
# width over 2t (svyquantile)
for (g in c(1, 2, 63)) for (j in 1:2) {
  cat(sprintf("R_QUANTILE %d %d %.17g %.17g\n", g, j, coef(b)[(j - 1) * 63 + g],
              as.matrix(SE(b))[g, j]))
}
