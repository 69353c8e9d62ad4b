# Oracle for calibration options (R survey 4.1.1 calibrate): a working-model
# variance (variance =, per row: the ratio estimator as a calibration),
# bounds on the weights themselves (bounds.const = TRUE) and per-row bounds
# (bounds = list(lower =, upper =)), and g constant within clusters
# (aggregate.stage; also unbounded linear, and where that goes negative:
# refusals.csv). The weights and the linearized SEs on apistrat
# (stratified with fpc) and apiclus1 (clusters with fpc) of testdata/api,
# written by testdata/estimation.R. Run from the root: Rscript testdata/calopts.R. Writes
# testdata/calopts/{weights,estimates}.csv (sprintf("%.17g")) and
# versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/calopts"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
d <- read.csv("testdata/api/apistrat.csv")
# per-row bounds on g: wider for the high schools
d$glo <- ifelse(d$stype == "H", 0.5, 0.8)
d$ghi <- ifelse(d$stype == "H", 2.5, 1.4)
write.csv(d[, c("snum", "stype", "pw", "fpc", "api00", "enroll", "glo", "ghi")], file.path(out, "apistrat.csv"), row.names = FALSE)
des <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
cases <- list(
  ratio = function() calibrate(des, ~enroll - 1, c(enroll = 3811472), variance = d$enroll),
  var_linear = function() calibrate(des, ~stype + enroll, pop, variance = d$enroll),
  var_bounded = function() calibrate(des, ~stype + enroll, pop, variance = d$enroll, bounds = c(0.7, 1.6),
                                     epsilon = 1e-13, maxit = 200),
  var_raking = function() calibrate(des, ~stype + enroll, pop, variance = d$enroll, calfun = "raking",
                                    epsilon = 1e-13, maxit = 200),
  bconst_linear = function() calibrate(des, ~stype + enroll, pop, bounds = c(15, 60), bounds.const = TRUE,
                                       epsilon = 1e-13, maxit = 200),
  bconst_raking = function() calibrate(des, ~stype + enroll, pop, bounds = c(15, 60), bounds.const = TRUE,
                                       calfun = "raking", epsilon = 1e-13, maxit = 200),
  rowbounds_logit = function() calibrate(des, ~stype + enroll, pop, bounds = list(lower = d$glo, upper = d$ghi),
                                         calfun = "logit", epsilon = 1e-13, maxit = 200)
)
# weights kept constant within clusters (aggregate.stage = 1) on apiclus1,
# also with weights that vary within a cluster (pw2: R calibrates the
# cluster means of the weights, then multiplies each row's weight by g)
c1 <- read.csv("testdata/api/apiclus1.csv")
c1$pw2 <- c1$pw * (1 + 0.1 * (c1$snum %% 3))
c1$one <- 1
write.csv(c1[, c("snum", "dnum", "stype", "pw", "pw2", "fpc", "api00", "enroll", "one")], file.path(out, "apiclus1.csv"), row.names = FALSE)
des1 <- svydesign(id = ~dnum, weights = ~pw, data = c1, fpc = ~fpc)
des2 <- svydesign(id = ~dnum, weights = ~pw2, data = c1, fpc = ~fpc)
# Unbounded linear calibration of cluster means (closed form) where R's
# weights stay positive: the school-type margin, and the api00 total
# (sum(apipop$api00) = 4117230) with weights that vary within clusters.
# With stype + enroll R's linear weights go negative (refusals.csv), which
# sipas refuses; those cases rake or bound.
cases$agg_raking <- function() calibrate(des1, ~stype + enroll, pop, aggregate.stage = 1, calfun = "raking",
                                         epsilon = 1e-13, maxit = 200)
cases$agg_raking_w2 <- function() calibrate(des2, ~stype + enroll, pop, aggregate.stage = 1, calfun = "raking",
                                            epsilon = 1e-13, maxit = 200)
cases$agg_bounded <- function() calibrate(des1, ~enroll, c(`(Intercept)` = 6194, enroll = 3811472),
                                          aggregate.stage = 1, bounds = c(0.2, 5), epsilon = 1e-13, maxit = 200)
cases$agg_linear <- function() calibrate(des1, ~stype, pop[1:3], aggregate.stage = 1)
cases$agg_linear_w2 <- function() calibrate(des2, ~stype, pop[1:3], aggregate.stage = 1)
cases$agg_linear_num_w2 <- function() calibrate(des2, ~api00, c(`(Intercept)` = 6194, api00 = 4117230), aggregate.stage = 1)
# where R goes negative: the clusters with weights <= 0 and the one with
# the smallest g (the final weight over the design weight)
neg <- calibrate(des1, ~stype + enroll, pop, aggregate.stage = 1)
g <- weights(neg) / weights(des1)
write.csv(data.frame(case = "agg_linear_neg", clusters = paste(sort(unique(c1$dnum[g <= 0])), collapse = " "),
  rows = sum(g <= 0), min_cluster = c1$dnum[which.min(g)], min_g = g17(min(g))),
  file.path(out, "refusals.csv"), row.names = FALSE)
wrows <- list(); erows <- list()
for (key in names(cases)) {
  cd <- cases[[key]]()
  wrows[[key]] <- data.frame(case = key, row = seq_len(nrow(cd$variables)), weight = g17(weights(cd)))
  for (v in c("api00", "enroll")) {
    m <- svymean(as.formula(paste0("~", v)), cd, na.rm = TRUE)
    t <- svytotal(as.formula(paste0("~", v)), cd, na.rm = TRUE)
    erows[[length(erows) + 1]] <- data.frame(case = key, stat = c("mean", "total"), var = v,
      est = g17(c(coef(m), coef(t))), se = g17(c(SE(m), SE(t))))
  }
}
write.csv(do.call(rbind, wrows), file.path(out, "weights.csv"), row.names = FALSE)
write.csv(do.call(rbind, erows), file.path(out, "estimates.csv"), row.names = FALSE)
