package index_test

import (
	"fmt"

	"github.com/sipas-go/sipas/index"
)

// A change between two independent yearly samples.
func ExampleCompareIndependent() {
	c := index.CompareIndependent(70, 1.2, 73, 1.6)
	fmt.Printf("change %.1f, SE %.1f, z %.2f, p %.4f\n", c.Change, c.SE, c.Z, c.P)
	// Output:
	// change 3.0, SE 2.0, z 1.50, p 0.1336
}
