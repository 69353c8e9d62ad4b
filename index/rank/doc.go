// Package rank ranks domains by their estimates with the uncertainty the
// sample leaves (METHODOLOGY §8): point ranks and quartile tiers, marginal
// and simultaneous rank confidence sets after Mogstad, Romano, Shaikh &
// Wilhelm (2024) with top/bottom-k probabilities (Domains), and the
// multiple-comparison corrections of families of p-values by Holm or
// Benjamini–Hochberg (AdjustPValues).
package rank
