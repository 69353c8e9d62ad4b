# Side-by-side timing with R survey for the likelihood share interval:
# svyby(~satisfied, ~province, design, svyciprop, method = "likelihood")
# (each province's interval on its own df) on generated ballots (63
# province strata × 20 PSUs, the data of the svyglm benchmark).
#
#   SIPAS_BENCH_R=1 go test ./sampling -run TestLikelihoodSideBySideR -v
#
# runs this script on the data the Go test writes and prints both timings.
# By hand: Rscript testdata/cilik_bench_r.R FILE.csv
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
t0 <- proc.time()
des <- svydesign(id = ~psu, strata = ~province, weights = ~weight, data = d)
b <- svyby(~satisfied, ~province, des, svyciprop, method = "likelihood", vartype = "ci")
pt <- proc.time() - t0
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(sprintf("R_SECONDS %.4f wall %.4f cpu\n", pt[["elapsed"]], pt[["user.self"]] + pt[["sys.self"]]))
for (i in seq_len(nrow(b))) cat(sprintf("R_CI %s %.17g %.17g\n", b$province[i], b$ci_l[i], b$ci_u[i]))
