# Golden files for package weighting, from R survey on R's api data.
#
#   cd testdata && Rscript weighting.R
#
# Writes testdata/weighting/{meta.json, weights_<data>.csv, se_<data>.csv}
# for data = apistrat (stratified, fpc) and apiclus1 (one-stage cluster, fpc).
# Exports testdata/api/{apistrat,apiclus1}.csv if absent (shared with the
# estimation goldens; write.csv(row.names = FALSE)).
suppressMessages(library(survey))
data(api)
dir.create("api", showWarnings = FALSE)
dir.create("weighting", showWarnings = FALSE)
for (nm in c("apistrat", "apiclus1")) {
  f <- file.path("api", paste0(nm, ".csv"))
  if (!file.exists(f)) write.csv(get(nm), f, row.names = FALSE)
}
fmt <- function(x) sprintf("%.17g", x)

pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
# calibration totals: R's parametrisation of ~stype + enroll
pop.cal <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
bounds <- list(apistrat = c(0.8, 1.3), apiclus1 = c(0.85, 1.7))
rep.bounds <- c(0.4, 3.5)  # logit on the JK1 replicates of apiclus1: wide enough for every replicate to converge
trimk <- 1.3   # trim: upper = trimk * median(weights of the raked design)
trimlo <- 0.6  # and lower = trimlo * median in the "trim_equal" case

meta <- list(R = R.version.string, survey = as.character(packageVersion("survey")),
             totals = list(stype = pop.types$Freq, sch.wide = pop.schwide$Freq, enroll = 3811472),
             bounds = bounds, trim_upper_median = trimk, trim_lower_median = trimlo,
             rake_control = "maxit = 1000, epsilon = 1e-14",
             calibrate_control = "maxit = 200, epsilon = 1e-13")

for (nm in c("apistrat", "apiclus1")) {
  d <- get(nm)
  des <- if (nm == "apistrat") {
    svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
  } else {
    svydesign(id = ~dnum, weights = ~pw, data = d, fpc = ~fpc)
  }
  b <- bounds[[nm]]
  cal <- function(...) calibrate(des, ~stype + enroll, pop.cal, maxit = 200, epsilon = 1e-13, ...)
  designs <- list(
    none = des,
    ps = postStratify(des, ~stype, pop.types),
    rake = rake(des, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                control = list(maxit = 1000, epsilon = 1e-14)),
    cal_linear = cal(),
    cal_linear_bounded = cal(calfun = "linear", bounds = b),
    cal_raking = cal(calfun = "raking"),
    cal_raking_bounded = cal(calfun = "raking", bounds = b),
    cal_logit = cal(calfun = "logit", bounds = b)
  )
  wr <- weights(designs$rake)
  med <- median(wr)
  designs$trim_equal <- trimWeights(designs$rake, upper = trimk * med, lower = trimlo * med)
  designs$trim_upper <- trimWeights(designs$rake, upper = trimk * med)
  designs$trim_upper_strict <- trimWeights(designs$rake, upper = trimk * med, strict = TRUE)

  w <- data.frame(row = seq_len(nrow(d)))
  for (k in names(designs)) w[[k]] <- fmt(weights(designs[[k]]))
  write.csv(w, file.path("weighting", paste0("weights_", nm, ".csv")), row.names = FALSE, quote = FALSE)

  se <- NULL
  for (k in c("none", "ps", "rake", "cal_linear", "cal_linear_bounded", "cal_raking",
              "cal_raking_bounded", "cal_logit")) {
    m <- svymean(~api00, designs[[k]])
    t <- svytotal(~enroll, designs[[k]])
    se <- rbind(se,
      data.frame(case = k, stat = "mean", variable = "api00", estimate = fmt(coef(m)), se = fmt(SE(m))),
      data.frame(case = k, stat = "total", variable = "enroll", estimate = fmt(coef(t)), se = fmt(SE(t))))
  }
  write.csv(se, file.path("weighting", paste0("se_", nm, ".csv")), row.names = FALSE, quote = FALSE)
}
writeLines(jsonlite_free <- {
  # minimal JSON writer (no jsonlite dependency)
  kv <- c(sprintf('"R": "%s"', meta$R), sprintf('"survey": "%s"', meta$survey),
          sprintf('"bounds_apistrat": [%s, %s]', bounds$apistrat[1], bounds$apistrat[2]),
          sprintf('"bounds_apiclus1": [%s, %s]', bounds$apiclus1[1], bounds$apiclus1[2]),
          sprintf('"rep_logit_bounds_apiclus1": [%s, %s]', rep.bounds[1], rep.bounds[2]),
          sprintf('"trim_upper_median": %s', trimk), sprintf('"trim_lower_median": %s', trimlo),
          sprintf('"rake_control": "%s"', meta$rake_control),
          sprintf('"calibrate_control": "%s"', meta$calibrate_control))
  paste0("{\n  ", paste(kv, collapse = ",\n  "), "\n}")
}, file.path("weighting", "meta.json"))

# ---- replicate weights re-weighted per replicate (R's svyrep methods) --------
# apiclus1 as a JK1 design (15 PSUs): the uncalibrated replicate weights and
# the replicate weights after each step; the Go test re-runs each step on
# every "none" column and compares. Replicate SEs with mse = FALSE (R's
# default) and mse = TRUE.
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
rep.designs <- function(mse) {
  rd <- as.svrepdesign(dclus1, type = "JK1", mse = mse)
  calr <- function(...) calibrate(rd, ~stype + enroll, pop.cal, maxit = 200, epsilon = 1e-13, ...)
  list(
    none = rd,
    ps = postStratify(rd, ~stype, pop.types),
    rake = rake(rd, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                control = list(maxit = 1000, epsilon = 1e-14)),
    cal_linear = calr(),
    cal_raking = calr(calfun = "raking"),
    cal_logit = calr(calfun = "logit", bounds = rep.bounds))
}
rds <- rep.designs(FALSE)
for (k in names(rds)) {
  rw <- weights(rds[[k]], "analysis")
  out <- data.frame(row = seq_len(nrow(rw)))
  for (j in seq_len(ncol(rw))) out[[paste0("rep", j)]] <- fmt(rw[, j])
  write.csv(out, file.path("weighting", paste0("rep_apiclus1_", k, ".csv")), row.names = FALSE, quote = FALSE)
}
rds.mse <- rep.designs(TRUE)
se <- NULL
for (k in names(rds)) {
  for (mse in c(FALSE, TRUE)) {
    d <- if (mse) rds.mse[[k]] else rds[[k]]
    m <- svymean(~api00, d)
    t <- svytotal(~enroll, d)
    se <- rbind(se,
      data.frame(case = k, mse = mse, stat = "mean", variable = "api00", estimate = fmt(coef(m)), se = fmt(SE(m))),
      data.frame(case = k, mse = mse, stat = "total", variable = "enroll", estimate = fmt(coef(t)), se = fmt(SE(t))))
  }
}
write.csv(se, file.path("weighting", "se_rep_apiclus1.csv"), row.names = FALSE, quote = FALSE)

# ---- grake's rescaling (min population/sample ratio > 20) ---------------------
# apiclus1 with equal weights 1: every ratio exceeds 20, so R rescales the
# weights by the mean ratio and applies the bounds c(0.5, 2) to the rescaled
# weights.
d1 <- suppressWarnings(svydesign(id = ~1, data = apiclus1))
cal1 <- function(...) calibrate(d1, ~stype + enroll, pop.cal, maxit = 200, epsilon = 1e-13, bounds = c(0.5, 2), ...)
w1 <- data.frame(row = seq_len(nrow(apiclus1)),
                 cal_logit = fmt(weights(suppressWarnings(cal1(calfun = "logit")))),
                 cal_linear_bounded = fmt(weights(suppressWarnings(cal1(calfun = "linear")))),
                 cal_raking_bounded = fmt(weights(suppressWarnings(cal1(calfun = "raking")))))
write.csv(w1, file.path("weighting", "weights_apiclus1_rescaled.csv"), row.names = FALSE, quote = FALSE)

# ---- the synthetic SIPAS survey (testdata/index/sipas_small.csv) -------------
# 4,000 ballots, 63 provinces (strata) x 3 communes (PSUs). Population totals
# are the weighted sample counts perturbed deterministically (±15%) and made
# to agree on one N (integers). This script writes the WEIGHTING.json of each
# case (sipas_<case>.json) so that the Go test runs exactly these steps, the
# final weights, the linearized SEs of svymean(~access_1) and the JKn
# replicate SEs with every step re-run per replicate.
s <- read.csv(file.path("index", "sipas_small.csv"), stringsAsFactors = FALSE, encoding = "UTF-8")
sdes <- svydesign(id = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = s, nest = TRUE)
N <- round(sum(s$weight))
mktot <- function(keys) {
  # weighted counts by key (sorted), perturbed by 1 + 0.15 sin(k), integers summing to N
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
json.totals <- function(t) paste0("{", paste(sprintf('"%s": %s', names(t), fmt(t)), collapse = ", "), "}")
json.margin <- function(by, t) sprintf('{"by": [%s], "totals": %s}', paste0('"', by, '"', collapse = ", "), json.totals(t))
df.tot <- function(t, v) { d <- data.frame(names(t), as.vector(t)); names(d) <- c(v, "Freq"); d }
df.ga <- local({
  k <- do.call(rbind, strsplit(names(tot.ga), ":", fixed = TRUE))
  data.frame(gender = k[, 1], age_group = k[, 2], Freq = as.vector(tot.ga))
})
cal.pop <- function(des) {
  # R's parametrisation of ~gender + age_group + education + level
  mm <- model.matrix(~gender + age_group + education + level, model.frame(des))
  c(`(Intercept)` = N, gendermale = tot.gender[["male"]],
    setNames(tot.age[-1], paste0("age_group", names(tot.age)[-1])),
    setNames(tot.edu[-1], paste0("education", names(tot.edu)[-1])),
    setNames(tot.level[-1], paste0("level", names(tot.level)[-1])))[colnames(mm)]
}
sbounds <- c(0.3, 3)
cal.margins <- paste(json.margin("gender", tot.gender), json.margin("age_group", tot.age),
                     json.margin("education", tot.edu), json.margin("level", tot.level), sep = ", ")
sspecs <- list(
  ps = sprintf('{"poststratify": %s}', json.margin("level", tot.level)),
  rake = sprintf('{"rake": {"margins": [%s, %s, %s]}}', json.margin("province", tot.prov),
                 json.margin(c("gender", "age_group"), tot.ga), json.margin("level", tot.level)),
  cal_linear = sprintf('{"calibrate": {"method": "linear", "margins": [%s]}}', cal.margins),
  cal_logit = sprintf('{"calibrate": {"method": "logit", "bounds": [%s, %s], "margins": [%s]}}', sbounds[1], sbounds[2], cal.margins))
sipas.steps <- function(des, k) switch(k,
  ps = postStratify(des, ~level, df.tot(tot.level, "level")),
  rake = rake(des, list(~province, ~gender + age_group, ~level),
              list(df.tot(tot.prov, "province"), df.ga, df.tot(tot.level, "level")),
              control = list(maxit = 1000, epsilon = 1e-14)),
  cal_linear = calibrate(des, ~gender + age_group + education + level, cal.pop(des), maxit = 200, epsilon = 1e-13),
  cal_logit = calibrate(des, ~gender + age_group + education + level, cal.pop(des), maxit = 200, epsilon = 1e-13,
                        calfun = "logit", bounds = sbounds))
sw <- data.frame(row = seq_len(nrow(s)))
sse <- NULL
srep <- as.svrepdesign(sdes, type = "JKn", mse = TRUE)
for (k in names(sspecs)) {
  con <- file(file.path("weighting", paste0("sipas_", k, ".json")), open = "w", encoding = "UTF-8")
  writeLines(sprintf('{"design_weight": "weight", "steps": [%s]}', sspecs[[k]]), con, useBytes = TRUE)
  close(con)
  dk <- sipas.steps(sdes, k)
  sw[[k]] <- fmt(weights(dk))
  m <- svymean(~access_1, dk)
  rk <- sipas.steps(srep, k)
  mr <- svymean(~access_1, rk)
  sse <- rbind(sse, data.frame(case = k, variance = "linearization", estimate = fmt(coef(m)), se = fmt(SE(m))),
               data.frame(case = k, variance = "jkn_mse", estimate = fmt(coef(mr)), se = fmt(SE(mr))))
}
write.csv(sw, file.path("weighting", "weights_sipas.csv"), row.names = FALSE, quote = FALSE)
write.csv(sse, file.path("weighting", "se_sipas.csv"), row.names = FALSE, quote = FALSE)
