# Side-by-side timing with R survey for the design-based logistic regression:
# svyglm(satisfied ~ gender + age_group + field, family = quasibinomial) with
# 10 coefficients on generated ballots (63 province strata × 20 PSUs).
#
#   SIPAS_BENCH_R=1 go test ./sampling -run TestLogisticSideBySideR -v
#
# runs this script on the data the Go test writes and prints both timings.
# By hand: Rscript testdata/glm_bench_r.R FILE.csv
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
fac <- function(x) factor(x, levels = sort(unique(x), method = "radix"))
for (v in c("gender", "age_group", "field")) d[[v]] <- fac(d[[v]])
runs <- 5
t0 <- proc.time()
for (r in seq_len(runs)) {
  des <- svydesign(id = ~psu, strata = ~province, weights = ~weight, data = d)
  m <- svyglm(satisfied ~ gender + age_group + field, design = des, family = quasibinomial())
}
pt <- (proc.time() - t0) / runs
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(sprintf("R_SECONDS %.4f wall %.4f cpu\n", pt[["elapsed"]], pt[["user.self"]] + pt[["sys.self"]]))
s <- summary(m)$coefficients
for (i in seq_len(nrow(s))) cat(sprintf("R_COEF %s %.12g %.12g\n", rownames(s)[i], s[i, 1], s[i, 2]))
