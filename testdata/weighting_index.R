# Golden file for `sipas index --weighting SPEC` (issue 5): the SIPAS indices
# with calibration-aware linearized SEs, from R survey on the synthetic
# survey testdata/index/sipas_small.csv after the steps of
# testdata/weighting/sipas_rake.json and sipas_cal_logit.json (the same
# totals as testdata/weighting.R builds them). With the argument nopsu, on
# the design WITHOUT PSU column (issue 17: every ballot its own unit,
# svydesign(id = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight))
# after the steps of sipas_ps.json and sipas_rake.json. With the argument
# nopsucal, on the same design without PSU column after a calibration that
# needs every ballot: to the field margin and the numeric total of age
# (18 + (row * 7919) mod 53, as cmd/sipas's withAge adds it), linear and
# logit with bounds; it writes their specs sipas_nopsucal_{linear,logit}.json
# too. The indices are defined as in
# testdata/index.R: criterion P_c = 100 svyratio(~s_c, ~v_c); elements and
# SIPAS are svycontrast()s of the joint svytotal of every s_c and v_c.
# Domains use subset() of the calibrated design (every row kept, weights
# zero outside; R residualizes over the whole sample). Run from testdata/:
#
#   cd testdata && Rscript weighting_index.R && Rscript weighting_index.R nopsu
#   Rscript weighting_index.R nopsucal
#
# Writes testdata/weighting/index_weighting.csv and
# testdata/weighting/index_weighting_versions.txt (with nopsu:
# index_weighting_nopsu.csv and index_weighting_nopsu_versions.txt; with
# nopsucal: index_weighting_nopsucal.csv and its versions).
nopsu <- identical(commandArgs(trailingOnly = TRUE), "nopsu")
nopsucal <- identical(commandArgs(trailingOnly = TRUE), "nopsucal")
suppressPackageStartupMessages(library(survey))
s <- read.csv(file.path("index", "sipas_small.csv"), stringsAsFactors = FALSE, encoding = "UTF-8",
              colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))

# ---- the weighting steps (as testdata/weighting.R) ----
sdes <- svydesign(id = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = s, nest = TRUE)
N <- round(sum(s$weight))
mktot <- function(keys) {
  wt <- tapply(s$weight, keys, sum)
  wt <- wt[order(names(wt))]
  p <- wt * (1 + 0.15 * sin(seq_along(wt)))
  t <- round(p / sum(p) * N)
  t[length(t)] <- N - sum(t[-length(t)])
  t
}
tot.prov <- mktot(s$province)
tot.level <- mktot(s$level)
tot.ga <- mktot(paste(s$gender, s$age_group, sep = ":"))
tot.gender <- mktot(s$gender)
tot.age <- mktot(s$age_group)
tot.edu <- mktot(s$education)
df.tot <- function(t, v) { d <- data.frame(names(t), as.vector(t)); names(d) <- c(v, "Freq"); d }
df.ga <- local({
  k <- do.call(rbind, strsplit(names(tot.ga), ":", fixed = TRUE))
  data.frame(gender = k[, 1], age_group = k[, 2], Freq = as.vector(tot.ga))
})
cal.pop <- function(des) {
  mm <- model.matrix(~gender + age_group + education + level, model.frame(des))
  c(`(Intercept)` = N, gendermale = tot.gender[["male"]],
    setNames(tot.age[-1], paste0("age_group", names(tot.age)[-1])),
    setNames(tot.edu[-1], paste0("education", names(tot.edu)[-1])),
    setNames(tot.level[-1], paste0("level", names(tot.level)[-1])))[colnames(mm)]
}

# ---- index variables (as testdata/index.R) ----
elements <- list(access = paste0("access_", 1:4), procedures = paste0("procedures_", 1:5),
                 officials = paste0("officials_", 1:6), outcomes = paste0("outcomes_", 1:3),
                 feedback = paste0("feedback_", 1:4))
crit <- unlist(elements, use.names = FALSE)
for (c in crit) {
  s[[paste0("s_", c)]] <- as.numeric(!is.na(s[[c]]) & s[[c]] %in% 4:5)
  s[[paste0("v_", c)]] <- as.numeric(!is.na(s[[c]]) & s[[c]] %in% 1:5)
}
rake3 <- function(des) rake(des, list(~province, ~gender + age_group, ~level),
                            list(df.tot(tot.prov, "province"), df.ga, df.tot(tot.level, "level")),
                            control = list(maxit = 1000, epsilon = 1e-14))
if (nopsucal) {
  s$age <- 18 + (seq_len(nrow(s)) * 7919) %% 53
  sdes <- svydesign(id = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = s)
  tot.field <- mktot(s$field)
  age.tot <- round(sum(s$weight * s$age) * 1.02)
  mm <- model.matrix(~field + age, s)
  pop <- c(`(Intercept)` = N, setNames(tot.field[-1], paste0("field", names(tot.field)[-1])), age = age.tot)[colnames(mm)]
  cases <- list(
    cal_linear = calibrate(sdes, ~field + age, pop),
    cal_logit = calibrate(sdes, ~field + age, pop, calfun = "logit", bounds = c(0.5, 2), maxit = 200, epsilon = 1e-13))
  spec <- function(method, extra) {
    tots <- paste(sprintf('"%s": %.17g', names(tot.field), as.vector(tot.field)), collapse = ", ")
    writeLines(sprintf('{"design_weight": "weight", "steps": [{"calibrate": {"method": "%s"%s, "margins": [{"by": ["field"], "totals": {%s}}], "numeric": {"age": %.17g}}}]}',
                       method, extra, tots, age.tot), file.path("weighting", paste0("sipas_nopsucal_", method, ".json")))
  }
  spec("linear", "")
  spec("logit", ', "bounds": [0.5, 2]')
} else if (nopsu) {
  sdes <- svydesign(id = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = s)
  stopifnot(all(tot.level == c(commune = 12828470, district = 9439434, province = 6175361)))
  cases <- list(ps = postStratify(sdes, ~level, df.tot(tot.level, "level")), rake = rake3(sdes))
} else {
  sdes <- svydesign(id = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = s, nest = TRUE)
  cases <- list(
    rake = rake3(sdes),
    cal_logit = calibrate(sdes, ~gender + age_group + education + level, cal.pop(sdes), maxit = 200, epsilon = 1e-13,
                          calfun = "logit", bounds = c(0.3, 3)))
}

totf <- as.formula(paste("~", paste(c(paste0("s_", crit), paste0("v_", crit)), collapse = "+")))
ratio_expr <- function(cs, wts) parse(text = paste(paste0(wts, " * s_", cs, " / v_", cs), collapse = " + "))[[1]]
rows <- list()
add <- function(cs, by, dom, kind, id, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = cs, by = by, domain = dom, kind = kind, id = id,
                                          estimate = g17(100 * est), se = g17(100 * se))
}
for (cs in names(cases)) {
  des <- cases[[cs]]
  for (dom in c("", sort(unique(s$level)))) {
    by <- if (dom == "") "" else "level"
    sub <- if (dom == "") des else subset(des, level == dom)
    for (c in crit) {
      r <- svyratio(as.formula(paste0("~s_", c)), as.formula(paste0("~v_", c)), sub)
      add(cs, by, dom, "criterion", c, coef(r)[1], SE(r)[1])
    }
    tot <- svytotal(totf, sub)
    all_c <- c(); all_w <- c()
    for (e in names(elements)) {
      cc <- elements[[e]]
      ct <- svycontrast(tot, ratio_expr(cc, rep(1 / length(cc), length(cc))))
      add(cs, by, dom, "element", e, coef(ct)[1], SE(ct)[1])
      all_c <- c(all_c, cc); all_w <- c(all_w, rep(1 / (length(elements) * length(cc)), length(cc)))
    }
    ct <- svycontrast(tot, ratio_expr(all_c, sprintf("%.17g", all_w)))
    add(cs, by, dom, "sipas", "sipas", coef(ct)[1], SE(ct)[1])
  }
}
out <- if (nopsucal) "index_weighting_nopsucal" else if (nopsu) "index_weighting_nopsu" else "index_weighting"
write.csv(do.call(rbind, rows), file.path("weighting", paste0(out, ".csv")), row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))), file.path("weighting", paste0(out, "_versions.txt")))
