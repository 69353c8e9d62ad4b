# Oracle for the likelihood interval of the SIPAS index's single shares
# (index.Compute with sampling.Likelihood): R survey 4.1
# svyciprop(method = "likelihood") on the valid-answer domain of each
# criterion (the rows that answered it, as the logit goldens of
# testdata/index.R) and on the rows that answered the expectation
# questions, with the design's df, on testdata/index/sipas_small.csv,
# nationally and by province, stratified cluster design with fpc.
# Run from the root: Rscript testdata/cilik_index.R. Writes
# testdata/cilik/index.csv (numbers with sprintf("%.17g"), in percent).
suppressPackageStartupMessages(library(survey))
d <- read.csv("testdata/index/sipas_small.csv", stringsAsFactors = FALSE, encoding = "UTF-8",
              colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
crit <- c(paste0("access_", 1:4), paste0("procedures_", 1:5), paste0("officials_", 1:6),
          paste0("outcomes_", 1:3), paste0("feedback_", 1:4))
for (c in crit) {
  d[[paste0("s_", c)]] <- as.numeric(!is.na(d[[c]]) & d[[c]] %in% 4:5)
  d[[paste0("v_", c)]] <- as.numeric(!is.na(d[[c]]) & d[[c]] %in% 1:5)
}
ex <- paste0("expect_", 1:7)
d$r_exp <- as.numeric(rowSums(!is.na(d[, ex])) > 0)
for (x in ex) d[[paste0("x_", x)]] <- ifelse(is.na(d[[x]]), 0, d[[x]])
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d, nest = TRUE)
rows <- list()
one <- function(by, dom) {
  sub <- des
  if (by != "") sub <- subset(des, get(by) == dom)
  for (v in c(paste0("s_", crit), paste0("x_", ex))) {
    id <- sub("^[sx]_", "", v)
    valid <- if (startsWith(v, "s_")) paste0("v_", id) else "r_exp"
    vsub <- subset(sub, get(valid) == 1)
    p <- tryCatch(svyciprop(as.formula(paste0("~", v)), vsub, method = "likelihood", df = degf(des)),
                  error = function(e) NULL)  # a share of 0 or 1: no profile in R
    if (is.null(p)) next
    ci <- attr(p, "ci")
    rows[[length(rows) + 1]] <<- data.frame(by = by, domain = dom, kind = if (startsWith(v, "s_")) "criterion" else "expectation",
      id = id, estimate = g17(100 * p), lo = g17(100 * ci[1]), hi = g17(100 * ci[2]), stringsAsFactors = FALSE)
  }
}
one("", "")
for (dom in sort(unique(d$province))[1:4]) one("province", dom)
write.csv(do.call(rbind, rows), "testdata/cilik/index.csv", row.names = FALSE)
