package provinces_test

import (
	"fmt"

	"github.com/sipas-go/sipas/internal/provinces"
)

func ExampleCanonical() {
	for _, s := range []string{"TP.HCM", "Hoà Bình", "thua thien-hue", "01", "Ha Noy"} {
		name, err := provinces.Canonical(s, provinces.Geo1997)
		fmt.Printf("%q → %q %v\n", s, name, err)
	}
	// Output:
	// "TP.HCM" → "Thành phố Hồ Chí Minh" <nil>
	// "Hoà Bình" → "Hòa Bình" <nil>
	// "thua thien-hue" → "Thừa Thiên Huế" <nil>
	// "01" → "Hà Nội" <nil>
	// "Ha Noy" → "" unknown province "Ha Noy"; closest: Hà Nội, Hà Nam
}

func ExampleCanonicalForYear() {
	// Names are read in the geography of the data's year.
	for _, year := range []int{2024, 2026} {
		for _, s := range []string{"Phú Thọ", "Vĩnh Phúc", "Thừa Thiên Huế"} {
			name, err := provinces.CanonicalForYear(s, year)
			fmt.Println(year, s, "→", name, err)
		}
	}
	fmt.Println(provinces.To2025("Vinh Phuc"))
	// Output:
	// 2024 Phú Thọ → Phú Thọ <nil>
	// 2024 Vĩnh Phúc → Vĩnh Phúc <nil>
	// 2024 Thừa Thiên Huế → Thừa Thiên Huế <nil>
	// 2026 Phú Thọ → Phú Thọ <nil>
	// 2026 Vĩnh Phúc →  "Vĩnh Phúc" is a 1997–2024 province; from 2025 it is part of Phú Thọ
	// 2026 Thừa Thiên Huế → Huế <nil>
	// Phú Thọ <nil>
}

func ExampleMatcher() {
	m := provinces.NewMatcher(provinces.GeographyForYear(2026))
	for _, s := range []string{"Hà Nội", "HÀ NỘI", "Ha Noi", "Hà Nội"} {
		name, _ := m.Canonical(s) // repeated spellings hit the cache
		fmt.Println(name)
	}
	// Output:
	// Hà Nội
	// Hà Nội
	// Hà Nội
	// Hà Nội
}
