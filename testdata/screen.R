# Oracle for ballot screening (package ballot, Screen): base R on hand-made
# ballots. Run from the repository root:
#
#   Rscript testdata/screen.R
#
# Writes testdata/screen/ballots.csv (the input: 22 criteria of the default
# questionnaire, codes 1..5, missing codes 0 and 9, empty cells),
# testdata/screen/ballots_golden.csv, testdata/screen/collectors_golden.csv
# (numbers with sprintf("%.17g"), NA for undefined) and
# testdata/screen/versions.txt.
#
# careless (CRAN) is not packaged for Debian, so its two functions are
# written out here as the package defines them (careless 1.2.2):
#   longstring: max(rle(x)$lengths) over a row, NA breaking every run;
#   irv:        stats::sd(x, na.rm = TRUE).
# The one difference of the contract: a row with no answer has longstring 0
# (careless: 1, the length of one NA "run").
# The maximum percent match (Kuriakose & Robbins 2016) is a loop over every
# pair; the chance reference is quantile(type = 7) at 0.99 of each ballot's
# best match among other collectors' ballots (straight-lined ballots and
# ballots without a qualifying pair left out).

items <- c(paste0("access_", 1:4), paste0("procedures_", 1:5), paste0("officials_", 1:6),
           paste0("outcomes_", 1:3), paste0("feedback_", 1:4))
k <- length(items)
set.seed(20261206)

rnd <- function(p_miss = 0.05) {
  x <- sample(1:5, k, replace = TRUE, prob = c(0.04, 0.08, 0.2, 0.46, 0.22))
  m <- runif(k) < p_miss
  x[m] <- sample(c(0, 9, NA), sum(m), replace = TRUE)
  x
}
rows <- list()
add <- function(id, prov, coll, x) rows[[length(rows) + 1]] <<- list(id = id, prov = prov, coll = coll, x = x)

# Province 2 (listed first so that groups are not in input order).
for (i in 1:14) add(200 + i, 2, c("b1", "b2", "b3", "c1")[(i %% 4) + 1], rnd())
# Province 1: four honest collectors ...
for (i in 1:24) add(100 + i * 3, 1, c("a1", "a2", "a3", "c1")[(i %% 4) + 1], rnd(0.08))
# ... and hand-made cases.
base <- rnd(0)
add(9, 1, "f1", base)                         # a copy source
cp <- base; cp[c(3, 17)] <- (cp[c(3, 17)] %% 5) + 1
add(10, 1, "f1", cp)                          # ties with 11 on ballot 9 (numeric order: 9 < 10 < 11)
add(11, 1, "f1", cp)                          # exact duplicate of 10
add(1000, 1, "f1", rep(4, k))                 # straight-lined
sl <- rep(5, k); sl[c(2, 8, 9)] <- c(NA, 0, 9)
add(1001, 1, "f1", sl)                        # straight-lined with missing items
add(1002, 1, "a1", rep(NA, k))                # nothing answered
one <- rep(NA, k); one[5] <- 3
add(1003, 1, "a2", one)                       # one answer
half <- rnd(0); half[1:12] <- 0
add(1004, 1, "a3", half)                      # 10 answered: no pair qualifies
runs <- c(4, 4, 4, 9, 4, 4, 4, 4, 5, 5, 5, 5, 5, NA, 5, 5, 5, 3, 2, 3, 2, 1)
add(1005, 1, "a1", runs)                      # runs broken by missing codes
eleven <- rnd(0); eleven[1:11] <- NA
add(1006, 1, "a2", eleven)                    # exactly half answered
four <- rep(NA, k); four[c(1, 5, 9, 13)] <- 2
add(1007, 1, "a3", four)                      # four equal answers: not straight-lined
add(1008, 1, "solo", rnd())                   # a collector with one ballot

ids <- sapply(rows, `[[`, "id")
prov <- sapply(rows, `[[`, "prov")
coll <- sapply(rows, `[[`, "coll")
X <- t(sapply(rows, `[[`, "x"))
colnames(X) <- items
input <- data.frame(ballot_id = ids, province = prov, collector = coll, X, check.names = FALSE)
dir.create("testdata/screen", showWarnings = FALSE)
write.csv(input, "testdata/screen/ballots.csv", row.names = FALSE, na = "", quote = FALSE)

V <- X
V[!is.na(V) & (V == 0 | V == 9)] <- NA          # missing codes are NA
n <- nrow(V)

# careless::longstring and careless::irv, as defined in careless.
longstring <- function(x) max(rle(x)$lengths)
irv <- function(x) stats::sd(x, na.rm = TRUE)

answered <- rowSums(!is.na(V))
ls <- apply(V, 1, longstring)
ls[answered == 0] <- 0
iv <- apply(V, 1, irv)
straight <- answered >= 5 & apply(V, 1, function(x) length(unique(x[!is.na(x)])) == 1)

best <- function(i, cand) {
  bm <- NA; bj <- NA
  for (j in cand[order(ids[cand])]) {
    if (j == i) next
    both <- !is.na(V[i, ]) & !is.na(V[j, ])
    if (2 * sum(both) < k) next
    s <- sum(V[i, both] == V[j, both]) / sum(both)
    if (is.na(bm) || s > bm) { bm <- s; bj <- j }
  }
  c(bm, bj)
}
mm <- rep(NA, n); mid <- rep(NA, n); ref <- rep(NA, n); other <- rep(NA, n)
for (i in 1:n) {
  g <- which(prov == prov[i])
  b <- best(i, g); mm[i] <- b[1]; mid[i] <- if (is.na(b[2])) NA else ids[b[2]]
  other[i] <- best(i, g[coll[g] != coll[i]])[1]
}
for (p in unique(prov)) {
  g <- which(prov == p)
  v <- other[g][!is.na(other[g]) & !straight[g]]
  ref[g] <- if (length(v)) quantile(v, 0.99, type = 7, names = FALSE) else NA
}
flag_match <- !is.na(mm) & mm >= pmax(0.85, ifelse(is.na(ref), 0, ref))
key <- apply(V, 1, function(x) paste(ifelse(is.na(x), "NA", x), collapse = ","))
dup <- sapply(1:n, function(i) sum(key == key[i] & prov == prov[i]) > 1)

g17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
out <- data.frame(ballot_id = ids, answered = answered, nonresponse = g17((k - answered) / k),
                  longstring = ls, irv = g17(iv), straightline = as.integer(straight),
                  max_match = g17(mm), match_id = ifelse(is.na(mid), "NA", mid), match_ref = g17(ref),
                  flag_match = as.integer(flag_match), flag_duplicate = as.integer(dup))
write.csv(out, "testdata/screen/ballots_golden.csv", row.names = FALSE, quote = FALSE)

# Collectors: indicator means over the defined values; z against the other
# collectors of the province (the zero-deviation rule of ballot.Screen).
zrule <- function(v, others) {
  others <- others[!is.na(others)]
  if (is.na(v) || length(others) < 2) return(NA)
  m <- mean(others); s <- sd(others)
  if (all(others == others[1])) { m <- others[1]; s <- 0 }
  if (s > 0) return((v - m) / s)
  if (v == m) return(0)
  (v - m) / sd(c(others, v))
}
ind <- cbind(nonresponse = (k - answered) / k, straightline = as.numeric(straight), max_match = mm,
             flag_match = as.numeric(flag_match), irv = iv)
crows <- list()
for (p in sort(unique(prov))) {
  g <- which(prov == p)
  cs <- sort(unique(coll[g]))
  val <- t(sapply(cs, function(c) {
    h <- g[coll[g] == c]
    apply(ind[h, , drop = FALSE], 2, function(x) if (all(is.na(x))) NA else mean(x, na.rm = TRUE))
  }))
  z <- sapply(colnames(ind), function(t) sapply(seq_along(cs), function(a) zrule(val[a, t], val[-a, t])))
  risk <- rowSums(abs(z) > 2, na.rm = TRUE)
  rsum <- rowSums(abs(z), na.rm = TRUE)
  o <- order(-risk, -rsum, cs, method = "radix")
  for (r in seq_along(o)) {
    a <- o[r]
    crows[[length(crows) + 1]] <- data.frame(province = p, collector = cs[a], ballots = sum(coll[g] == cs[a]),
      t(setNames(g17(val[a, ]), colnames(ind))), t(setNames(g17(z[a, ]), paste0("z_", colnames(ind)))),
      risk = risk[a], risk_sum = g17(rsum[a]), rank = r, check.names = FALSE)
  }
}
write.csv(do.call(rbind, crows), "testdata/screen/collectors_golden.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, "base R only (stats::sd, stats::quantile type 7, rle)"), "testdata/screen/versions.txt")
