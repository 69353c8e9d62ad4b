# Oracle for sampling's variance under sampling with probability
# proportional to size without replacement at the first stage: R survey
# svydesign(..., fpc = ~pi, pps = "brewer"), pps = "overton" and
# pps = ppsmat(joint probabilities) (Horvitz–Thompson), on election_pps (data
# of the survey package, 40 counties drawn PPS, with their joint inclusion
# probabilities) and on a stratified cluster sample of api districts with
# inclusion probabilities proportional to enrolment. Run from the root:
#
#   Rscript testdata/pps.R
#
# Writes testdata/pps/{election,election_joint,clus}.csv (data; the joint
# probabilities in long form: psu_a, psu_b, pi), goldens.csv (numbers with
# sprintf("%.17g")) and versions.txt. ppsmat's tolerance is set to 0: R's
# default 1e-4 sets small entries of the HT matrix to 0, which sipas does not.
suppressPackageStartupMessages(library(survey))
data(election); data(api)
out <- "testdata/pps"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
wcsv <- function(d, f) write.csv(d, file.path(out, f), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))

el <- election_pps[, c("County", "Bush", "Kerry", "Nader", "votes", "p")]
el$County <- as.character(el$County)
el$w <- 1 / el$p
wcsv(el, "election.csv")
jp <- election_jointprob
ij <- expand.grid(a = seq_len(nrow(jp)), b = seq_len(ncol(jp)))
ij <- ij[ij$a <= ij$b, ]
wcsv(data.frame(psu_a = el$County[ij$a], psu_b = el$County[ij$b], pi = sprintf("%.17g", jp[cbind(ij$a, ij$b)])), "election_joint.csv")

# two strata of districts (apiclus1), inclusion probabilities proportional
# to the district's enrolment in the sample
cl <- apiclus1[, c("dnum", "snum", "api00", "api99", "enroll", "sch.wide")]
cl$yes <- as.integer(cl$sch.wide == "Yes")
cl$str <- ifelse(cl$dnum < 450, 1L, 2L)  # numbers: R overton2Dcheck fails on text strata
ds <- aggregate(enroll ~ dnum + str, data = cl, FUN = sum)
ds$n <- ave(ds$enroll, ds$str, FUN = length)
ds$pi <- pmin(0.95, ds$n * ds$enroll / (3 * ave(ds$enroll, ds$str, FUN = sum)))
cl$pi <- ds$pi[match(cl$dnum, ds$dnum)]
cl$w <- 1 / cl$pi
# sorted by PSU: R's Brewer variance (onestrat) pairs the PSU factors, taken
# in order of first appearance, with the PSU totals of rowsum(), in sorted
# order, so it mismatches them on unsorted data
cl <- cl[order(cl$dnum, cl$snum), ]
wcsv(cl[, c("str", "dnum", "snum", "pi", "w", "api00", "api99", "enroll", "yes")], "clus.csv")

rows <- list()
add <- function(design, stat, var, obj) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, stat = stat, var = var,
    est = g17(coef(obj)), se = g17(SE(obj)), stringsAsFactors = FALSE)
}
run <- function(dn, d, vars, ratio) {
  for (v in vars) {
    f <- as.formula(paste0("~", v))
    add(dn, "mean", v, svymean(f, d))
    add(dn, "total", v, svytotal(f, d))
  }
  add(dn, "ratio", paste(ratio, collapse = "/"), svyratio(as.formula(paste0("~", ratio[1])), as.formula(paste0("~", ratio[2])), d))
}
options(survey.lonely.psu = "fail")
run("el_brewer", svydesign(id = ~1, weights = ~w, fpc = ~p, data = el, pps = "brewer"), c("Bush", "Kerry"), c("Bush", "votes"))
run("el_overton", svydesign(id = ~1, weights = ~w, fpc = ~p, data = el, pps = "overton"), c("Bush", "Kerry"), c("Bush", "votes"))
run("el_ht", svydesign(id = ~1, weights = ~w, fpc = ~p, data = el, pps = ppsmat(election_jointprob, tolerance = 0)), c("Bush", "Kerry"), c("Bush", "votes"))
run("clus_brewer", svydesign(id = ~dnum, strata = ~str, weights = ~w, fpc = ~pi, data = cl, pps = "brewer"), c("api00", "enroll", "yes"), c("api00", "api99"))
run("clus_overton", svydesign(id = ~dnum, strata = ~str, weights = ~w, fpc = ~pi, data = cl, pps = "overton"), c("api00", "enroll", "yes"), c("api00", "api99"))
write.csv(do.call(rbind, rows), file.path(out, "goldens.csv"), row.names = FALSE)
