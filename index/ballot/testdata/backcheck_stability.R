# Writes backcheck_stability_golden.csv: the stability checks of the
# hand-made back-check fixture (backcheck_survey.csv, backcheck_bc.csv),
# computed with base R only, at full precision.
#
#   ttest:       t.test(survey, backcheck, paired = TRUE)
#   signrank:    Stata's signrank (ranks of |d| over all pairs, zeros
#                included and given signed rank 0; V = sum(r^2)/4 over the
#                nonzero d; z = (T+ - E)/sqrt(V); no continuity correction).
#                Checked here against the textbook variance
#                n(n+1)(2n+1)/24 - n0(n0+1)(2n0+1)/24 - sum(t^3-t)/48 and,
#                without zeros, against wilcox.test(exact = FALSE,
#                correct = FALSE).
#   reliability: ipabcstats: SRV = var(survey - backcheck)/2 over the
#                pairs, RR = 1 - SRV/var(backcheck) over the present
#                back-check values of the comparisons.
#
# Run from this directory: Rscript backcheck_stability.R
s <- read.csv("backcheck_survey.csv", na.strings = "", encoding = "UTF-8")
b <- read.csv("backcheck_bc.csv", na.strings = "", encoding = "UTF-8")
m <- merge(s, b, by = "ballot_id", suffixes = c(".s", ".b"))
f <- function(x) sprintf("%.17g", x)
out <- data.frame()
row <- function(v, test, n, stat, p, srv, rr) {
  data.frame(variable = v, test = test, n = n, statistic = f(stat), p_value = f(p),
             srv = f(srv), rr = f(rr))
}
pairs <- function(v) {
  x <- m[[paste0(v, ".s")]]; y <- m[[paste0(v, ".b")]]
  keep <- !(is.na(x) & is.na(y)) # both missing: no comparison
  list(x = x[keep], y = y[keep])
}
for (v in c("rating_1")) {
  p <- pairs(v); ok <- !is.na(p$x) & !is.na(p$y)
  tt <- t.test(p$x[ok], p$y[ok], paired = TRUE)
  out <- rbind(out, row(v, "ttest", sum(ok), unname(tt$statistic), tt$p.value, NA, NA))
}
for (v in c("rating_1", "rating_2", "rating_3")) {
  p <- pairs(v); ok <- !is.na(p$x) & !is.na(p$y)
  d <- p$x[ok] - p$y[ok]
  r <- rank(abs(d))
  sp <- sum(r[d > 0]); sn <- sum(r[d < 0])
  E <- (sp + sn) / 2
  V <- sum(r[d != 0]^2) / 4
  n <- length(d); n0 <- sum(d == 0)
  ties <- table(abs(d[d != 0]))
  V2 <- n * (n + 1) * (2 * n + 1) / 24 - n0 * (n0 + 1) * (2 * n0 + 1) / 24 - sum(ties^3 - ties) / 48
  stopifnot(isTRUE(all.equal(V, V2)))
  stopifnot(isTRUE(all.equal(E, n * (n + 1) / 4 - n0 * (n0 + 1) / 4)))
  z <- (sp - E) / sqrt(V)
  pv <- 2 * pnorm(-abs(z))
  if (n0 == 0) {
    w <- suppressWarnings(wilcox.test(p$x[ok], p$y[ok], paired = TRUE, exact = FALSE, correct = FALSE))
    stopifnot(isTRUE(all.equal(w$p.value, pv)))
  }
  out <- rbind(out, row(v, "signrank", n, z, pv, NA, NA))
}
for (v in c("rating_1", "rating_3")) {
  p <- pairs(v); ok <- !is.na(p$x) & !is.na(p$y)
  srv <- var(p$x[ok] - p$y[ok]) / 2
  rr <- 1 - srv / var(p$y[!is.na(p$y)])
  out <- rbind(out, row(v, "reliability", sum(ok), NA, NA, srv, rr))
}
out[out == "NA"] <- ""
con <- file("backcheck_stability_golden.csv", "w")
writeLines(paste0("# ", R.version.string, "; base R stats only; written by backcheck_stability.R"), con)
write.csv(out, con, row.names = FALSE, quote = FALSE)
close(con)
