# Oracle for the SIPAS indices (issue 3, index.Compute): R survey on the
# small synthetic survey testdata/index/sipas_small.csv (written by
# `go test ./index -run TestWriteIndexFixture -update-fixture`). Run from the
# repository root:
#
#   Rscript testdata/index.R
#   Rscript testdata/index.R nopsu
#
# Writes testdata/index/goldens.csv (numbers with sprintf("%.17g")) and
# testdata/index/versions.txt; with "nopsu", only the design without PSUs
# (every ballot its own PSU, a sampling fraction of 1/4 in every stratum),
# nationally and by level and field, to testdata/index/goldens_nopsu.csv.
#
# Criterion index P_c = 100 Σ w s_c / Σ w v_c is svyratio(~s_c, ~v_c); its
# logit interval is svyciprop(~s_c, subset(design, v_c == 1), "logit")
# (the domain mean equals the ratio). Elements and SIPAS are nonlinear
# svycontrast()s (delta method) of the joint svytotal of every s_c and v_c:
# Σ_c a_c · t(s_c)/t(v_c). Domains use subset() (every PSU kept).
# Expectation shares are svyratio(~x_k, ~r). Design effects are those of
# svymean(~y, na.rm = TRUE, deff = "replace") with y missing where the
# criterion (or the expectation question) was not answered: against simple
# random sampling of the respondents who answered.
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
for (c in crit) d[[paste0("na_", c)]] <- ifelse(d[[paste0("v_", c)]] == 1, d[[paste0("s_", c)]], NA)
d$any_valid <- as.numeric(rowSums(d[, paste0("v_", crit)]) > 0)
for (e in names(elements)) d[[paste0("any_", e)]] <- as.numeric(rowSums(d[, paste0("v_", elements[[e]]), drop = FALSE]) > 0)
ex <- paste0("expect_", 1:7)
d$r_exp <- as.numeric(rowSums(!is.na(d[, ex])) > 0)
for (x in ex) d[[paste0("x_", x)]] <- ifelse(is.na(d[[x]]), 0, d[[x]])
for (x in ex) d[[paste0("na_", x)]] <- ifelse(d$r_exp == 1, d[[paste0("x_", x)]], NA)

# a design without PSUs (every ballot its own PSU), with a sampling
# fraction of 1/4 in every stratum
d$frac <- 0.25
designs <- list(
  strat_clus = svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d, nest = TRUE),
  strat_clus_fpc = svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d, nest = TRUE),
  unweighted = svydesign(ids = ~1, data = d)
)
nopsu <- identical(commandArgs(trailingOnly = TRUE), "nopsu")
bys <- c("province", "level", "field")
if (nopsu) {
  designs <- list(strat_nopsu_fpc = svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~frac, data = d))
  bys <- c("level", "field")
}

totf <- as.formula(paste("~", paste(c(paste0("s_", crit), paste0("v_", crit)), collapse = "+")))

rows <- list()
add <- function(design, by, domain, kind, id, est, se, n, deff = NA, lo = NA, hi = NA) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, by = by, domain = domain, kind = kind, id = id,
    estimate = g17(100 * est), se = g17(100 * se), n = n, deff = g17(deff), ci_low = g17(100 * lo), ci_high = g17(100 * hi))
}
# the composite as an expression in the totals: mean of s_c/v_c over its criteria
ratio_expr <- function(cs, wts) {
  terms <- paste0(wts, " * s_", cs, " / v_", cs)
  parse(text = paste(terms, collapse = " + "))[[1]]
}

one <- function(dname, des, by, dom) {
  sub <- des
  if (by != "") sub <- subset(des, get(by) == dom)
  dd <- sub$variables[sub$prob < Inf, ]   # rows in the domain
  tot <- svytotal(totf, sub)
  for (c in crit) {
    single <- svyratio(as.formula(paste0("~s_", c)), as.formula(paste0("~v_", c)), sub)
    est <- coef(single)[1]
    se <- SE(single)[1]
    # deff as the criterion's own svymean(na.rm = TRUE, deff = "replace"):
    # against SRS of the respondents who answered the criterion
    m <- svymean(as.formula(paste0("~na_", c)), sub, na.rm = TRUE, deff = "replace")
    stopifnot(abs(coef(m)[1] - est) < 1e-12, abs(SE(m)[1] - se) < 1e-12 * max(1, se))
    deffv <- deff(m)[1]
    n <- sum(dd[[paste0("v_", c)]] == 1)
    lo <- NA; hi <- NA
    if (est > 0 && est < 1) {
      vsub <- subset(sub, get(paste0("v_", c)) == 1)
      ci <- attr(svyciprop(as.formula(paste0("~s_", c)), vsub, method = "logit", df = degf(des)), "ci")
      lo <- ci[1]; hi <- ci[2]
    }
    add(dname, by, dom, "criterion", c, est, se, n, deffv, lo, hi)
  }
  all_c <- c(); all_w <- c()
  for (e in names(elements)) {
    cs <- elements[[e]]
    ct <- svycontrast(tot, ratio_expr(cs, rep(1 / length(cs), length(cs))))
    add(dname, by, dom, "element", e, coef(ct)[1], SE(ct)[1], sum(dd[[paste0("any_", e)]] == 1))
    all_c <- c(all_c, cs); all_w <- c(all_w, rep(1 / (length(elements) * length(cs)), length(cs)))
  }
  ct <- svycontrast(tot, ratio_expr(all_c, sprintf("%.17g", all_w)))
  add(dname, by, dom, "sipas", "sipas", coef(ct)[1], SE(ct)[1], sum(dd$any_valid == 1))
  for (x in ex) {
    rx <- svyratio(as.formula(paste0("~x_", x)), ~r_exp, sub)
    m <- svymean(as.formula(paste0("~na_", x)), sub, na.rm = TRUE, deff = "replace")
    add(dname, by, dom, "expectation", x, coef(rx)[1], SE(rx)[1], sum(dd$r_exp == 1), deff(m)[1])
  }
}

for (dname in names(designs)) {
  des <- designs[[dname]]
  one(dname, des, "", "")
  for (by in bys) {
    for (dom in unique(d[[by]])) one(dname, des, by, dom)
  }
}
out <- do.call(rbind, rows)
write.csv(out, if (nopsu) "testdata/index/goldens_nopsu.csv" else "testdata/index/goldens.csv", row.names = FALSE, quote = TRUE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))), "testdata/index/versions.txt")
