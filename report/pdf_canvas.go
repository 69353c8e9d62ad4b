package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"codeberg.org/go-pdf/fpdf"
	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// pdfCanvas draws a print figure as vector graphics into a page of the
// PDF (a vg.Canvas over fpdf): paths become PDF paths and labels PDF text
// in the embedded Liberation Sans, so the charts print sharp at any size
// and their labels can be searched and copied.
//
// vg works in points with y up from the figure's bottom-left corner; the
// page in millimetres with y down. The canvas keeps vg's transforms in its
// own matrix (m) and maps every point itself, from the figure's origin
// (x0, y0: the page position of its bottom-left corner) and the scale s
// of the figure on the page.
type pdfCanvas struct {
	f      *fpdf.Fpdf
	w, h   vg.Length
	x0, y0 float64 // mm
	s      float64 // figure scale on the page
	st     pdfState
	stack  []pdfState
	images int
	name   string
	alpha  float64 // the opacity last set; -1 before the first
}

// pdfState is what Push saves: the transform (x' = a·x + c·y + e,
// y' = b·x + d·y + f, in points), the line width and dashes, the colour.
type pdfState struct {
	a, b, c, d, e, ff float64
	lineWidth         vg.Length
	dashes            []vg.Length
	dashOffset        vg.Length
	color             color.Color
}

func newPDFCanvas(f *fpdf.Fpdf, name string, w, h vg.Length, x0, y0, s float64) *pdfCanvas {
	return &pdfCanvas{f: f, name: name, w: w, h: h, x0: x0, y0: y0, s: s,
		st: pdfState{a: 1, d: 1, lineWidth: 1, color: color.Black}, alpha: -1}
}

func (c *pdfCanvas) Size() (w, h vg.Length) { return c.w, c.h }

// page maps a figure point to the page (mm).
func (c *pdfCanvas) page(p vg.Point) (x, y float64) {
	st := &c.st
	px := st.a*float64(p.X) + st.c*float64(p.Y) + st.e
	py := st.b*float64(p.X) + st.d*float64(p.Y) + st.ff
	k := c.s * 25.4 / 72
	return c.x0 + px*k, c.y0 - py*k
}

// scale is the length on the page (mm) of one point of the figure.
func (c *pdfCanvas) scale() float64 {
	st := &c.st
	return math.Sqrt(math.Abs(st.a*st.d-st.b*st.c)) * c.s * 25.4 / 72
}

func (c *pdfCanvas) SetLineWidth(w vg.Length) { c.st.lineWidth = w }

func (c *pdfCanvas) SetLineDash(pattern []vg.Length, offset vg.Length) {
	c.st.dashes = append([]vg.Length(nil), pattern...)
	c.st.dashOffset = offset
}

func (c *pdfCanvas) SetColor(col color.Color) {
	if col == nil {
		col = color.Black
	}
	c.st.color = col
}

func (c *pdfCanvas) Rotate(rad float64) {
	sin, cos := math.Sincos(rad)
	st := &c.st
	st.a, st.b, st.c, st.d = st.a*cos+st.c*sin, st.b*cos+st.d*sin, -st.a*sin+st.c*cos, -st.b*sin+st.d*cos
}

func (c *pdfCanvas) Translate(p vg.Point) {
	st := &c.st
	st.e += st.a*float64(p.X) + st.c*float64(p.Y)
	st.ff += st.b*float64(p.X) + st.d*float64(p.Y)
}

func (c *pdfCanvas) Scale(x, y float64) {
	st := &c.st
	st.a, st.b, st.c, st.d = st.a*x, st.b*x, st.c*y, st.d*y
}

func (c *pdfCanvas) Push() {
	s := c.st
	s.dashes = append([]vg.Length(nil), c.st.dashes...)
	c.stack = append(c.stack, s)
}

func (c *pdfCanvas) Pop() {
	if len(c.stack) == 0 {
		panic("report: pdfCanvas Pop without Push")
	}
	c.st = c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
}

// paint sets the colour (and its opacity) for stroking, filling and text;
// false when the colour is fully transparent.
func (c *pdfCanvas) paint() bool {
	r, g, b, a := c.st.color.RGBA()
	if a == 0 {
		return false
	}
	// Colours are alpha-premultiplied: back to straight 8-bit values.
	un := func(v uint32) int { return int(math.Round(float64(v) * 255 / float64(a))) }
	c.f.SetDrawColor(un(r), un(g), un(b))
	c.f.SetFillColor(un(r), un(g), un(b))
	c.f.SetTextColor(un(r), un(g), un(b))
	if alpha := math.Round(float64(a)/0xffff*1000) / 1000; alpha != c.alpha {
		c.f.SetAlpha(alpha, "Normal")
		c.alpha = alpha
	}
	return true
}

func (c *pdfCanvas) path(p vg.Path) bool {
	started := false
	var cx, cy float64
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			cx, cy = c.page(comp.Pos)
			c.f.MoveTo(cx, cy)
			started = true
		case vg.LineComp:
			cx, cy = c.page(comp.Pos)
			c.f.LineTo(cx, cy)
		case vg.CurveComp:
			x, y := c.page(comp.Pos)
			switch len(comp.Control) {
			case 1: // quadratic: as a cubic
				qx, qy := c.page(comp.Control[0])
				c.f.CurveBezierCubicTo(cx+2.0/3*(qx-cx), cy+2.0/3*(qy-cy), x+2.0/3*(qx-x), y+2.0/3*(qy-y), x, y)
			case 2:
				ax, ay := c.page(comp.Control[0])
				bx, by := c.page(comp.Control[1])
				c.f.CurveBezierCubicTo(ax, ay, bx, by, x, y)
			default:
				c.f.LineTo(x, y)
			}
			cx, cy = x, y
		case vg.ArcComp:
			cx, cy = c.arc(comp, started)
			started = true
		case vg.CloseComp:
			c.f.ClosePath()
		}
	}
	return started
}

// arc draws an arc as cubic Béziers of at most a quarter turn each,
// from a move (first component) or a line to its start.
func (c *pdfCanvas) arc(comp vg.PathComp, started bool) (x, y float64) {
	r := float64(comp.Radius)
	at := func(t float64) vg.Point {
		return vg.Point{X: comp.Pos.X + vg.Length(r*math.Cos(t)), Y: comp.Pos.Y + vg.Length(r*math.Sin(t))}
	}
	x, y = c.page(at(comp.Start))
	if started {
		c.f.LineTo(x, y)
	} else {
		c.f.MoveTo(x, y)
	}
	n := int(math.Ceil(math.Abs(comp.Angle) / (math.Pi / 2)))
	if n == 0 {
		return x, y
	}
	step := comp.Angle / float64(n)
	k := 4.0 / 3 * math.Tan(step/4) * r
	for i := 0; i < n; i++ {
		t0, t1 := comp.Start+float64(i)*step, comp.Start+float64(i+1)*step
		p0, p1 := at(t0), at(t1)
		c0 := vg.Point{X: p0.X - vg.Length(k*math.Sin(t0)), Y: p0.Y + vg.Length(k*math.Cos(t0))}
		c1 := vg.Point{X: p1.X + vg.Length(k*math.Sin(t1)), Y: p1.Y - vg.Length(k*math.Cos(t1))}
		ax, ay := c.page(c0)
		bx, by := c.page(c1)
		x, y = c.page(p1)
		c.f.CurveBezierCubicTo(ax, ay, bx, by, x, y)
	}
	return x, y
}

func (c *pdfCanvas) Stroke(p vg.Path) {
	if c.st.lineWidth <= 0 || !c.paint() {
		return
	}
	k := c.scale()
	c.f.SetLineWidth(float64(c.st.lineWidth) * k)
	dash := make([]float64, len(c.st.dashes))
	for i, d := range c.st.dashes {
		dash[i] = float64(d) * k
	}
	c.f.SetDashPattern(dash, float64(c.st.dashOffset)*k)
	if c.path(p) {
		c.f.DrawPath("D")
	}
	c.f.SetDashPattern(nil, 0)
}

func (c *pdfCanvas) Fill(p vg.Path) {
	if !c.paint() {
		return
	}
	if c.path(p) {
		c.f.DrawPath("F")
	}
}

// FillString writes text with its baseline starting at p, in the
// embedded Liberation Sans of the face's style, turned with the canvas.
func (c *pdfCanvas) FillString(fc font.Face, p vg.Point, text string) {
	if fc.Font.Size == 0 || text == "" || !c.paint() {
		return
	}
	style := ""
	if fc.Font.Weight >= xfont.WeightBold {
		style += "B"
	}
	if fc.Font.Style == xfont.StyleItalic || fc.Font.Style == xfont.StyleOblique {
		style += "I"
	}
	if style == "BI" {
		style = "B" // no bold italic is embedded
	}
	k := c.scale()
	c.f.SetFont(pdfFont, style, float64(fc.Font.Size)*k*72/25.4)
	x, y := c.page(p)
	angle := math.Atan2(c.st.b, c.st.a) * 180 / math.Pi
	if math.Abs(angle) > 1e-9 {
		c.f.TransformBegin()
		c.f.TransformRotate(angle, x, y)
		c.f.Text(x, y, nfc(text))
		c.f.TransformEnd()
		return
	}
	c.f.Text(x, y, nfc(text))
}

// DrawImage places img (as PNG) in the rectangle; none of the print
// figures draws one today. The rectangle must not be turned.
func (c *pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic("report: " + err.Error())
	}
	c.images++
	name := "img-" + c.name + "-" + strconv.Itoa(c.images)
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	c.f.RegisterImageOptionsReader(name, opt, &b)
	x0, y0 := c.page(rect.Min)
	x1, y1 := c.page(rect.Max)
	c.f.ImageOptions(name, math.Min(x0, x1), math.Min(y0, y1), math.Abs(x1-x0), math.Abs(y1-y0), false, opt, 0, "")
}
