package weighting_test

import (
	"fmt"

	"github.com/sipas-go/sipas/weighting"
)

// Rake six respondents to a gender margin and an age margin.
func ExampleRake() {
	w := []float64{10, 10, 10, 10, 10, 10}
	gender := weighting.Classes{Name: "gender", Index: []int32{0, 0, 0, 1, 1, 1}, Labels: []string{"f", "m"}}
	age := weighting.Classes{Name: "age", Index: []int32{0, 1, 1, 0, 0, 1}, Labels: []string{"young", "old"}}
	out, res, err := weighting.Rake(w, []weighting.Margin{
		weighting.NewMargin(gender, map[string]float64{"f": 40, "m": 60}),
		weighting.NewMargin(age, map[string]float64{"young": 50, "old": 50}),
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", out)
	fmt.Printf("sweeps %d, Kish %.4f\n", res.Iterations, res.After.Kish)
	// The weights reach both margins (f: 12.0396 + 2·13.9802 = 40, young:
	// 12.0396 + 2·18.9802 = 50) and keep the raking form w·a_gender·b_age
	// (12.0396/13.9802 = 18.9802/22.0396).

	// Output:
	// [12.0396 13.9802 13.9802 18.9802 18.9802 22.0396]
	// sweeps 10, Kish 1.0453
}
