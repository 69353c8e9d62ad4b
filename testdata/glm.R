# Oracle for sampling's design-based logistic regression: R survey svyglm
# with family = quasibinomial on the api data and on synthetic ballots.
# Run from the repository root:
#
#   Rscript testdata/glm.R
#
# Writes the data it fits (testdata/glm/{apiclus1,apistrat,ballots}.csv),
# the goldens testdata/glm/coef.csv (coefficients, SEs, t, p, 95 % interval,
# residual df) and testdata/glm/vcov.csv (the design-based covariance, full
# matrix), numbers with sprintf("%.17g"), and testdata/glm/versions.txt.
#
# Factor levels are sorted bytewise (sort(method = "radix"), R's factor()
# order in the C locale) and the first is the reference, as sipas does.
suppressPackageStartupMessages(library(survey))
data(api)
out <- "testdata/glm"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
wcsv <- function(d, f) write.csv(d, file.path(out, f), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
options(survey.lonely.psu = "fail")

fac <- function(x) factor(x, levels = sort(unique(x[!is.na(x)]), method = "radix"))

clus1 <- apiclus1[, c("snum", "dnum", "stype", "pw", "fpc", "ell", "meals", "avg.ed", "sch.wide")]
clus1$yes <- as.integer(clus1$sch.wide == "Yes")
strat <- apistrat[, c("snum", "stype", "pw", "fpc", "ell", "mobility", "avg.ed", "sch.wide")]
strat$yes <- as.integer(strat$sch.wide == "Yes")
wcsv(clus1, "apiclus1.csv")
wcsv(strat, "apistrat.csv")

# synthetic ballots: satisfied with the outcome (4 or 5 on outcomes_1; 9,
# "not applicable", is missing)
b <- read.csv("testdata/index/sipas_small.csv", encoding = "UTF-8", stringsAsFactors = FALSE)
b$satisfied <- ifelse(b$outcomes_1 == 9, NA, as.integer(b$outcomes_1 >= 4))
b <- b[, c("stratum", "psu", "fpc", "weight", "gender", "age_group", "field", "satisfied")]
wcsv(b, "ballots.csv")

for (v in c("stype")) { clus1[[v]] <- fac(clus1[[v]]); strat[[v]] <- fac(strat[[v]]) }
for (v in c("gender", "age_group", "field")) b[[v]] <- fac(b[[v]])

fits <- list(
  clus1 = list(svydesign(id = ~dnum, weights = ~pw, data = clus1), yes ~ stype + ell + meals),
  clus1fpc = list(svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1), yes ~ stype + ell + meals),
  # avg.ed has missing values: R drops those rows (design[-nas, ])
  clus1na = list(svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1), yes ~ avg.ed + stype),
  stratfpc = list(svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat), yes ~ ell + mobility + avg.ed),
  ballots = list(svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = b),
                 satisfied ~ gender + age_group + field),
  ballotsnofpc = list(svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = b),
                      satisfied ~ age_group + gender)
)
# replicate designs: the model is refitted on every replicate
dc1 <- svydesign(id = ~dnum, weights = ~pw, data = clus1)
dst <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat)
fits$clus1jk1 <- list(as.svrepdesign(dc1, type = "JK1"), yes ~ stype + ell + meals)
fits$clus1jk1mse <- list(as.svrepdesign(dc1, type = "JK1", mse = TRUE), yes ~ stype + ell + meals)
fits$stratjkn <- list(as.svrepdesign(dst, type = "JKn"), yes ~ ell + mobility)
# a post-stratified design (checked in weighting: the calibration residuals
# enter the sandwich through the engine)
fits$ps_clus1 <- list(postStratify(svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1), ~stype,
                                   data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))), yes ~ ell + meals)
crow <- list(); vrow <- list()
for (nm in names(fits)) {
  d <- fits[[nm]][[1]]; f <- fits[[nm]][[2]]
  m <- svyglm(f, design = d, family = quasibinomial())
  s <- summary(m)$coefficients
  ci <- confint(m, level = 0.95)
  V <- vcov(m)
  crow[[nm]] <- data.frame(model = nm, formula = paste(deparse(f), collapse = ""), term = rownames(s),
    estimate = g17(s[, 1]), se = g17(s[, 2]), t = g17(s[, 3]), p = g17(s[, 4]),
    ci_low = g17(ci[, 1]), ci_high = g17(ci[, 2]), df = m$df.residual, n = nrow(model.frame(m)),
    stringsAsFactors = FALSE)
  ij <- expand.grid(i = seq_len(nrow(V)), j = seq_len(ncol(V)))
  vrow[[nm]] <- data.frame(model = nm, row = rownames(V)[ij$i], col = colnames(V)[ij$j],
    value = g17(V[cbind(ij$i, ij$j)]), stringsAsFactors = FALSE)
}
write.csv(do.call(rbind, crow), file.path(out, "coef.csv"), row.names = FALSE)
write.csv(do.call(rbind, vrow), file.path(out, "vcov.csv"), row.names = FALSE)
