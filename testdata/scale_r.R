# R survey's side of the scale benchmark (docs/sums.md): the criterion
# indices of sipas index by province, as R users compute them: for each of
# the 22 criteria, svyby(~sat, ~province, design, svyratio, denominator =
# ~valid) with sat = 100 for a code of 4 or 5 and valid = 1 for a code of
# 1-5 (9 and empty: no answer), on the CSV written by
#
#   SIPAS_SCALE_FILE=/tmp/scale50k.csv SIPAS_SCALE_BALLOTS=50000 \
#     go test ./index -run TestWriteScaleFile
#   Rscript testdata/scale_r.R /tmp/scale50k.csv
#
# It leaves out the elements, SIPAS and expectation shares that sipas index
# computes as well, so R's throughput is overstated, not understated.
# Prints the rows, R's elapsed and CPU seconds, and the ballots per CPU
# second.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[1] else "/tmp/scale50k.csv"
d <- read.csv(path)
crit <- c(paste0("access_", 1:4), paste0("procedures_", 1:5), paste0("officials_", 1:6),
          paste0("outcomes_", 1:3), paste0("feedback_", 1:4))
for (k in crit) {
  v <- d[[k]]
  d[[paste0("s_", k)]] <- ifelse(!is.na(v) & v %in% c(4, 5), 100, 0)
  d[[paste0("v_", k)]] <- ifelse(!is.na(v) & v %in% 1:5, 1, 0)
}
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d)
t0 <- proc.time()
res <- lapply(crit, function(k) svyby(as.formula(paste0("~s_", k)), ~province, des, svyratio,
                                      denominator = as.formula(paste0("~v_", k))))
pt <- proc.time() - t0
cpu <- pt[["user.self"]] + pt[["sys.self"]]
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(sprintf("R_ROWS %d\nR_SECONDS %.3f wall %.3f cpu\nR_BALLOTS_PER_CPU_SECOND %.1f\n", nrow(d), pt[["elapsed"]], cpu, nrow(d) / cpu))
r1 <- res[[1]]
cat(sprintf("%s access_1: %.12g (SE %.12g)\n", r1$province[1:3], coef(r1)[1:3], SE(r1)[1:3]), sep = "")
