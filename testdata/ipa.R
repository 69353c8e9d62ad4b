# Oracle for index.ImportancePerformanceOf (issue 7: the importance–
# performance chart of the report): derived importance and performance of
# the 22 criteria, nationally and per province, on the small synthetic
# survey testdata/index/sipas_small.csv (final weights in column weight).
# Run from the repository root:
#
#   Rscript testdata/ipa.R
#
# Writes testdata/index/ipa_goldens.csv (numbers with sprintf("%.17g"); the
# first line is a comment with the R version).
#
# Per domain and criterion c, over the domain's rows with weight > 0:
#   s_c  = 1 when the answer is 4 or 5, 0 when 1..3, NA otherwise (9 or
#          blank: no answer);
#   o    = mean of the respondent's valid s over the other criteria (NA
#          when there is none: leave-one-out overall satisfaction);
#   importance  = cov.wt(cbind(s_c, o), wt = w / sum(w), cor = TRUE)$cor[1, 2]
#                 over the rows where both are defined;
#   performance = 100 * sum(w s_c) / sum(w) over the valid answers;
#   quadrant    = split at the means of the domain's importances and
#                 performances (Martilla & James 1977): fix_first (important,
#                 below the mean performance), keep_up, low_priority,
#                 overkill.
d <- read.csv("testdata/index/sipas_small.csv", stringsAsFactors = FALSE, encoding = "UTF-8",
              colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
g17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
crit <- c(paste0("access_", 1:4), paste0("procedures_", 1:5), paste0("officials_", 1:6),
          paste0("outcomes_", 1:3), paste0("feedback_", 1:4))
S <- sapply(crit, function(c) {
  x <- d[[c]]
  ifelse(!is.na(x) & x %in% 1:5, as.numeric(x %in% 4:5), NA)
})
w <- d$weight

ipa <- function(rows) {
  s <- S[rows, , drop = FALSE]
  wt <- w[rows]
  imp <- perf <- rep(NA_real_, length(crit))
  n <- integer(length(crit))
  for (c in seq_along(crit)) {
    o <- rowMeans(s[, -c, drop = FALSE], na.rm = TRUE)
    o[is.nan(o)] <- NA
    n[c] <- sum(!is.na(s[, c]))
    ok <- wt > 0 & !is.na(s[, c]) & !is.na(o)
    cw <- cov.wt(cbind(s[ok, c], o[ok]), wt = wt[ok] / sum(wt[ok]), cor = TRUE)
    if (cw$cov[1, 1] > 0 && cw$cov[2, 2] > 0) imp[c] <- cw$cor[1, 2]
    v <- wt > 0 & !is.na(s[, c])
    perf[c] <- 100 * sum(wt[v] * s[v, c]) / sum(wt[v])
  }
  def <- !is.na(imp) & !is.na(perf)
  mi <- mean(imp[def]); mp <- mean(perf[def])
  quad <- ifelse(!def, "", ifelse(imp >= mi, ifelse(perf >= mp, "keep_up", "fix_first"),
                                  ifelse(perf >= mp, "overkill", "low_priority")))
  data.frame(criterion = crit, n = n, importance = g17(imp), performance = g17(perf), quadrant = quad)
}

out <- cbind(province = "", ipa(seq_len(nrow(d))))
# provinces in bytewise order, as Go sorts them
for (p in sort(unique(d$province), method = "radix")) out <- rbind(out, cbind(province = p, ipa(which(d$province == p))))
con <- file("testdata/index/ipa_goldens.csv", open = "w", encoding = "UTF-8")
writeLines(paste("#", R.version.string), con)
write.csv(out, con, row.names = FALSE, quote = FALSE)
close(con)
