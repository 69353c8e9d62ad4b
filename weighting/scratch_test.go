package weighting
import "testing"
func TestScratch(t *testing.T){
 for _, n := range []int{1000,40000} {
 w, ms, _ := benchBallots(n, 1)
 _, res, err := Rake(w, ms, nil)
 t.Log(n, err, res.Iterations, res.History[:3], res.History[len(res.History)-1])
 }
}
