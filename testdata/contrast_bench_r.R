# Side-by-side timing with R survey for contrasts between domains: every
# pair of the 63 provinces (1,953 contrasts) for 22 criteria, as R users
# write it: svyby(~c_k, ~province, design, svymean, covmat = TRUE) on the
# rows with a value, and svycontrast with the 1,953 contrasts.
#
#   SIPAS_BENCH_R=1 go test ./sampling -run TestContrastsSideBySideR -v
#
# runs this script on the data the Go test writes and prints both timings.
# By hand: Rscript testdata/contrast_bench_r.R FILE.csv
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
des <- svydesign(id = ~psu, strata = ~province, weights = ~weight, data = d)
prov <- sort(unique(d$province))
G <- length(prov)
pairs <- list()
for (a in 1:(G - 1)) for (b in (a + 1):G) {
  v <- numeric(G); v[a] <- 1; v[b] <- -1
  pairs[[length(pairs) + 1]] <- v
}
t0 <- proc.time()
res <- lapply(1:22, function(k) {
  # na.rm = TRUE with covmat = TRUE stops in survey 4.1 (svyby's influence
  # matrix); the rows with a value, as a subset, give the same estimates
  dk <- des[!is.na(d[[paste0("c", k)]]), ]
  b <- svyby(as.formula(paste0("~c", k)), ~province, dk, svymean, covmat = TRUE)
  svycontrast(b, pairs)
})
pt <- proc.time() - t0
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(sprintf("R_SECONDS %.3f wall %.3f cpu\n", pt[["elapsed"]], pt[["user.self"]] + pt[["sys.self"]]))
for (k in c(1, 22)) for (ci in c(1, 2, 1953)) {
  cat(sprintf("R_CONTRAST %d %d %.17g %.17g\n", k, ci, coef(res[[k]])[ci], SE(res[[k]])[ci]))
}
