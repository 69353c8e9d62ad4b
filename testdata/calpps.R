# Oracle for a calibration on designs sampled with probability
# proportional to size at the first stage (Brewer's, Overton's and the
# Horvitz–Thompson variance) and on multistage designs with an fpc at every
# stage: R survey's calibrate() (linear and raking-ratio, with an intercept
# column "one"), then svymean, svytotal, svyratio and svyby, whose
# variances take the calibration's residuals (R's ppsvar and svyrecvar,
# full multistage: survey.ultimate.cluster = FALSE). R survey 4.1's ppsvar
# (the Horvitz–Thompson and Overton variances of svydesign(pps =
# ppsmat(...)) and pps = "overton") computes the calibration's residuals
# and then drops them (it assigns them to y and takes the variance of x);
# this script replaces it with the same function using the residuals
# (fixedPpsvar below; with the shipped one these SEs are those of the
# uncalibrated influence values). R's Brewer variance goes through
# svyrecvar, which uses them; it pairs the PSU factors with the PSU totals
# in sorted order, so the election sample, one county per PSU, is given
# as id = ~1 (as testdata/pps.R). Data: election_pps
# with its joint probabilities, the stratified PPS sample of api districts
# of testdata/pps.R, and apiclus2 (its rows with an enrolment). Run from
# the repository root:
#
#   Rscript testdata/calpps.R
#
# Writes testdata/calpps/{election,election_joint,clus,clus2}.csv (data),
# goldens.csv (numbers with sprintf("%.17g")) and versions.txt. The
# calibration totals are the weighting specifications' of
# cmd/sipas/calpps_test.go.
suppressPackageStartupMessages(library(survey))
data(election); data(api)
out <- "testdata/calpps"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
wcsv <- function(d, f) write.csv(d, file.path(out, f), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
options(survey.lonely.psu = "fail", survey.ultimate.cluster = FALSE)
fixedPpsvar <- function(x, design) {
  for (psvar in design$postStrata) {
    stopifnot(inherits(psvar, "greg_calibration"), psvar$stage == 0)
    x <- qr.resid(psvar$qr, x / psvar$w) * psvar$w
  }
  dc <- design$dcheck[[1]]
  switch(design$variance,
    HT = survey:::htvar.matrix(rowsum(x, dc$id, reorder = FALSE), dc$dcheck),
    YG = survey:::ygvar.matrix(rowsum(x, dc$id, reorder = FALSE), dc$dcheck))
}
assignInNamespace("ppsvar", fixedPpsvar, "survey")

el <- election_pps[, c("County", "Bush", "Kerry", "votes", "p")]
el$County <- as.character(el$County)
el$w <- 1 / el$p
el$one <- 1
wcsv(el, "election.csv")
jp <- election_jointprob
ij <- expand.grid(a = seq_len(nrow(jp)), b = seq_len(ncol(jp)))
ij <- ij[ij$a <= ij$b, ]
wcsv(data.frame(psu_a = el$County[ij$a], psu_b = el$County[ij$b], pi = sprintf("%.17g", jp[cbind(ij$a, ij$b)])), "election_joint.csv")

cl <- read.csv("testdata/pps/clus.csv")
cl$one <- 1
wcsv(cl, "clus.csv")

c2 <- apiclus2[!is.na(apiclus2$enroll), c("dnum", "snum", "stype", "pw", "fpc1", "fpc2", "api00", "api99", "enroll", "ell")]
c2$fpc2 <- as.vector(c2$fpc2)
c2$stype <- as.character(c2$stype)
c2$one <- 1
wcsv(c2, "clus2.csv")

rows <- list()
add <- function(design, stat, var, domain, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, stat = stat, var = var, domain = domain,
    est = g17(est), se = g17(se), stringsAsFactors = FALSE)
}
run <- function(dn, d, mean, total, ratio, by = NULL) {
  a <- svymean(as.formula(paste0("~", mean)), d)
  add(dn, "mean", mean, "", coef(a), SE(a))
  a <- svytotal(as.formula(paste0("~", total)), d)
  add(dn, "total", total, "", coef(a), SE(a))
  a <- svyratio(as.formula(paste0("~", ratio[1])), as.formula(paste0("~", ratio[2])), d)
  add(dn, "ratio", paste(ratio, collapse = "/"), "", coef(a), SE(a))
  if (!is.null(by)) {
    a <- svyby(as.formula(paste0("~", mean)), as.formula(paste0("~", by)), d, svymean)
    for (i in seq_len(nrow(a))) add(dn, "mean", mean, as.character(a[[by]][i]), coef(a)[i], SE(a)[i])
  }
}
elpop <- c(one = 4600, votes = 122000000)
clpop <- c(one = 700, enroll = 310000)
c2pop <- c(one = 6194, enroll = 3811472)
cal <- function(d, f, pop, fun) calibrate(d, f, pop, calfun = fun, epsilon = 1e-13, maxit = 200)
for (fun in c("linear", "raking")) {
  d <- svydesign(id = ~1, weights = ~w, fpc = ~p, data = el, pps = "brewer")
  run(paste0("el_brewer_", fun), cal(d, ~one + votes - 1, elpop, fun), "Kerry", "Bush", c("Bush", "votes"))
  d <- svydesign(id = ~1, weights = ~w, fpc = ~p, data = el, pps = ppsmat(election_jointprob, tolerance = 0))
  run(paste0("el_ht_", fun), cal(d, ~one + votes - 1, elpop, fun), "Kerry", "Bush", c("Bush", "votes"))
  d <- svydesign(id = ~dnum, strata = ~str, weights = ~w, fpc = ~pi, data = cl, pps = "brewer")
  run(paste0("clus_brewer_", fun), cal(d, ~one + enroll - 1, clpop, fun), "api00", "yes", c("api00", "api99"), by = "yes")
  d <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = c2)
  run(paste0("clus2_", fun), cal(d, ~one + enroll - 1, c2pop, fun), "api00", "ell", c("api00", "api99"), by = "stype")
}
# JK1 replicates of the two-stage design (of its first stage's units, as
# as.svrepdesign; centred on the full-sample estimate, mse = TRUE, as
# sipas by default), each calibrated again
d <- as.svrepdesign(svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = c2), type = "JK1", mse = TRUE)
run("clus2_jk1_linear", cal(d, ~one + enroll - 1, c2pop, "linear"), "api00", "ell", c("api00", "api99"), by = "stype")
d <- svydesign(id = ~1, weights = ~w, fpc = ~p, data = el, pps = "overton")
run("el_overton_linear", cal(d, ~one + votes - 1, elpop, "linear"), "Kerry", "Bush", c("Bush", "votes"))
write.csv(do.call(rbind, rows), file.path(out, "goldens.csv"), row.names = FALSE)
