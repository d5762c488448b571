package report

import (
	"math"
	"slices"
	"strconv"
	"strings"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// Chart geometry, in SVG user units (the SVG scales to the page width).
const (
	chartW      = 960
	chartH      = 250
	chartLeft   = 64 // room for the y-axis labels
	chartRight  = 12
	chartTop    = 14
	chartBottom = 44 // room for the day labels
	chartBarMax = 44 // widest bar
	chartTicks  = 4  // about this many grid steps
)

// chartView is one stacked bar chart: sessions per day by outcome, for one direction.
type chartView struct {
	Title string
	Label string // aria-label
	W, H  int
	Scale string // SVG units per session, for readers and tests
	Grid  []gridLine
	Bars  []barView
	Axis  axisView
}

type gridLine struct {
	Y, X1, X2, TX, TY string
	Label             string
}

type axisView struct{ X1, X2, Y string }

type barView struct {
	Title  string // tooltip: day, total and each non-zero outcome
	Day    string
	Segs   []segView
	Label  string // x-axis label, "" when skipped for room
	LX, LY string
	Total  string // total above the bar, "" when it does not fit
	TY     string
}

type segView struct {
	Key, Color string
	N          int64
	X, Y, W, H string
}

// dayCharts builds one chart per direction that has days, all over the same
// days so that the charts line up. Each chart has its own scale: sent mail is
// often a small fraction of received mail and would otherwise be invisible.
func dayCharts(an *tlsanalysisv1.Analysis) []chartView {
	days := map[string]bool{}
	byDir := map[tlsanalysisv1.Direction]map[string]*tlsanalysisv1.OutcomeCounts{}
	for _, d := range an.GetDays() {
		days[d.GetDay()] = true
		m := byDir[d.GetDirection()]
		if m == nil {
			m = map[string]*tlsanalysisv1.OutcomeCounts{}
			byDir[d.GetDirection()] = m
		}
		c := m[d.GetDay()]
		if c == nil {
			c = &tlsanalysisv1.OutcomeCounts{}
			m[d.GetDay()] = c
		}
		addCounts(c, d.GetCounts())
	}
	order := make([]string, 0, len(days))
	for d := range days {
		order = append(order, d)
	}
	slices.Sort(order)
	var charts []chartView
	for _, dir := range directions() {
		if m := byDir[dir]; m != nil {
			charts = append(charts, dayChart(dir, order, m))
		}
	}
	return charts
}

func dayChart(dir tlsanalysisv1.Direction, days []string, counts map[string]*tlsanalysisv1.OutcomeCounts) chartView {
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	base := float64(chartH - chartBottom)

	var peak int64
	for _, c := range counts {
		peak = max(peak, sumOutcomes(c))
	}
	step := niceStep(peak)
	top := max(step, (peak+step-1)/step*step)
	scale := plotH / float64(top)

	v := chartView{
		Title: directionLabel(dir) + " sessions per day",
		Label: directionLabel(dir) + " sessions per day by TLS outcome",
		W:     chartW,
		H:     chartH,
		Scale: strconv.FormatFloat(scale, 'g', -1, 64),
		Axis:  axisView{X1: num(chartLeft), X2: num(chartW - chartRight), Y: num(base)},
	}
	for t := int64(0); t <= top; t += step {
		y := base - float64(t)*scale
		v.Grid = append(v.Grid, gridLine{
			Y: num(y), X1: num(chartLeft), X2: num(chartW - chartRight),
			TX: num(chartLeft - 6), TY: num(y + 4), Label: fmtInt(t),
		})
	}

	slot := plotW / float64(max(1, len(days)))
	barW := min(chartBarMax, slot*0.72)
	// Label every day when there is room, else every few days.
	every := 1
	for slot*float64(every) < 40 {
		every++
	}
	short := len(days) > 0 && slot < 72
	for i, day := range days {
		c := counts[day]
		x := chartLeft + float64(i)*slot + (slot-barW)/2
		b := barView{Day: day, LX: num(x + barW/2), LY: num(base + 16)}
		if i%every == 0 {
			b.Label = day
			if short && len(day) == len("2006-01-02") {
				b.Label = day[5:]
			}
		}
		var title strings.Builder
		title.WriteString(day)
		title.WriteString(": ")
		title.WriteString(fmtInt(sumOutcomes(c)))
		title.WriteString(" sessions")
		var cum int64
		for _, o := range outcomes() {
			n := o.count(c)
			if n == 0 {
				continue
			}
			title.WriteString("\n")
			title.WriteString(o.label)
			title.WriteString(": ")
			title.WriteString(fmtInt(n))
			b.Segs = append(b.Segs, segView{
				Key: o.key, Color: o.color, N: n,
				X: num(x), W: num(barW),
				Y: num(base - float64(cum+n)*scale), H: num(float64(n) * scale),
			})
			cum += n
		}
		b.Title = title.String()
		if total := fmtInt(cum); cum > 0 && slot >= 6.5*float64(len(total))+6 {
			b.Total, b.TY = total, num(base-float64(cum)*scale-4)
		}
		v.Bars = append(v.Bars, b)
	}
	return v
}

// sumOutcomes is the height of a stacked bar: the outcomes drawn, which is
// Total for well-formed counts.
func sumOutcomes(c *tlsanalysisv1.OutcomeCounts) int64 {
	var n int64
	for _, o := range outcomes() {
		n += o.count(c)
	}
	return n
}

// niceStep is a grid step of 1, 2 or 5 times a power of ten that splits
// 0..peak into about chartTicks steps.
func niceStep(peak int64) int64 {
	if peak <= chartTicks {
		return 1
	}
	raw := float64(peak) / chartTicks
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range [...]float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return max(1, int64(m*mag))
		}
	}
	return max(1, int64(10*mag))
}

// num formats an SVG coordinate with at most two decimals.
func num(f float64) string {
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
