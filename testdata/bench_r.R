# Side-by-side timing with R survey (issue 3, performance): the call R users
# write, svyby(~c_k, ~province, design, svymean, na.rm = TRUE), for the 22
# criteria of a generated 100k-ballot survey (63 province strata × 20 PSUs).
#
#   SIPAS_BENCH_CSV=/tmp/sipas_bench.csv go test ./sampling -run TestWriteBenchCSV
#   Rscript testdata/bench_r.R /tmp/sipas_bench.csv
#   SIPAS_BENCH_CSV=/tmp/sipas_bench.csv go test ./sampling -run TestSideBySideR -v
#
# Prints R's elapsed seconds for the 22 calls and c1's estimates in the first
# provinces (to check that both sides compute the same numbers).
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[1] else "/tmp/sipas_bench.csv"
d <- read.csv(path)
des <- svydesign(id = ~psu, strata = ~province, weights = ~weight, data = d)
crit <- paste0("c", 1:22)
t0 <- proc.time()
res <- lapply(crit, function(v) svyby(as.formula(paste0("~", v)), ~province, des, svymean, na.rm = TRUE))
pt <- proc.time() - t0
el <- pt[["elapsed"]]
cpu <- pt[["user.self"]] + pt[["sys.self"]]
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(sprintf("R_SECONDS %.3f wall %.3f cpu\n", el, cpu))
r1 <- res[[1]]
for (i in 1:3) cat(sprintf("%s c1: %.12g (SE %.12g)\n", r1$province[i], coef(r1)[i], SE(r1)[i]))
