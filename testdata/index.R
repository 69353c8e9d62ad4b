# Oracle for the SIPAS indices (issue 3, index.Compute): R survey on the
# small synthetic survey testdata/index/sipas_small.csv (written by
# `go test ./index -run TestWriteIndexFixture -update-fixture`). Run from the
# repository root:
#
#   Rscript testdata/index.R
#
# Writes testdata/index/goldens.csv (numbers with sprintf("%.17g")) and
# testdata/index/versions.txt.
#
# Criterion index P_c = 100 Σ w s_c / Σ w v_c is svyratio(~s_c, ~v_c); its
# logit interval is svyciprop(~s_c, subset(design, v_c == 1), "logit")
# (the domain mean equals the ratio). Elements and SIPAS are svycontrast()s
# of the criterion ratios from one svyratio(covmat = TRUE) call. Domains use
# subset() (every PSU kept). Expectation shares are svyratio(~x_k, ~r).
suppressPackageStartupMessages(library(survey))
d <- read.csv("testdata/index/sipas_small.csv", stringsAsFactors = FALSE, encoding = "UTF-8",
              colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))

elements <- list(access = paste0("access_", 1:4), procedures = paste0("procedures_", 1:5),
                 officials = paste0("officials_", 1:6), outcomes = paste0("outcomes_", 1:3),
                 feedback = paste0("feedback_", 1:4))
crit <- unlist(elements, use.names = FALSE)
for (c in crit) {
  d[[paste0("s_", c)]] <- as.numeric(!is.na(d[[c]]) & d[[c]] %in% 4:5)
  d[[paste0("v_", c)]] <- as.numeric(!is.na(d[[c]]) & d[[c]] %in% 1:5)
}
d$any_valid <- as.numeric(rowSums(d[, paste0("v_", crit)]) > 0)
for (e in names(elements)) d[[paste0("any_", e)]] <- as.numeric(rowSums(d[, paste0("v_", elements[[e]]), drop = FALSE]) > 0)
ex <- paste0("expect_", 1:7)
d$r_exp <- as.numeric(rowSums(!is.na(d[, ex])) > 0)
for (x in ex) d[[paste0("x_", x)]] <- ifelse(is.na(d[[x]]), 0, d[[x]])

designs <- list(
  strat_clus = svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d, nest = TRUE),
  strat_clus_fpc = svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d, nest = TRUE),
  unweighted = svydesign(ids = ~1, data = d)
)

numf <- as.formula(paste("~", paste0("s_", crit, collapse = "+")))
denf <- as.formula(paste("~", paste0("v_", crit, collapse = "+")))
pairname <- function(c) paste0("s_", c, "/v_", c)

rows <- list()
add <- function(design, by, domain, kind, id, est, se, n, deff = NA, lo = NA, hi = NA) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, by = by, domain = domain, kind = kind, id = id,
    estimate = g17(100 * est), se = g17(100 * se), n = n, deff = g17(deff), ci_low = g17(100 * lo), ci_high = g17(100 * hi))
}

one <- function(dname, des, by, dom) {
  sub <- des
  if (by != "") sub <- subset(des, get(by) == dom)
  dd <- sub$variables[sub$prob < Inf, ]   # rows in the domain
  r <- svyratio(numf, denf, sub, covmat = TRUE)
  cf <- coef(r)
  V <- vcov(r)
  for (c in crit) {
    nm <- pairname(c)
    single <- svyratio(as.formula(paste0("~s_", c)), as.formula(paste0("~v_", c)), sub, deff = TRUE)
    est <- coef(single)[1]
    se <- SE(single)[1]
    deffv <- deff(single)[1]
    stopifnot(abs(est - cf[nm]) < 1e-12)
    n <- sum(dd[[paste0("v_", c)]] == 1)
    lo <- NA; hi <- NA
    if (est > 0 && est < 1) {
      vsub <- subset(sub, get(paste0("v_", c)) == 1)
      ci <- attr(svyciprop(as.formula(paste0("~s_", c)), vsub, method = "logit", df = degf(des)), "ci")
      lo <- ci[1]; hi <- ci[2]
    }
    add(dname, by, dom, "criterion", c, est, se, n, deffv, lo, hi)
  }
  sipas <- setNames(rep(0, length(cf)), names(cf))
  for (e in names(elements)) {
    w <- setNames(rep(0, length(cf)), names(cf))
    w[pairname(elements[[e]])] <- 1 / length(elements[[e]])
    sipas <- sipas + w / length(elements)
    ct <- svycontrast(r, w)
    add(dname, by, dom, "element", e, coef(ct)[1], SE(ct)[1], sum(dd[[paste0("any_", e)]] == 1))
  }
  ct <- svycontrast(r, sipas)
  add(dname, by, dom, "sipas", "sipas", coef(ct)[1], SE(ct)[1], sum(dd$any_valid == 1))
  for (x in ex) {
    rx <- svyratio(as.formula(paste0("~x_", x)), ~r_exp, sub, deff = TRUE)
    add(dname, by, dom, "expectation", x, coef(rx)[1], SE(rx)[1], sum(dd$r_exp == 1), deff(rx)[1])
  }
}

for (dname in names(designs)) {
  des <- designs[[dname]]
  one(dname, des, "", "")
  for (by in c("province", "level", "field")) {
    for (dom in unique(d[[by]])) one(dname, des, by, dom)
  }
}
out <- do.call(rbind, rows)
write.csv(out, "testdata/index/goldens.csv", row.names = FALSE, quote = TRUE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))), "testdata/index/versions.txt")
