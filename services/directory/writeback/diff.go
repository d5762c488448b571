package writeback

import (
	"fmt"
	"strings"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// sddlLines splits a descriptor's SDDL into the lines a diff compares: the
// owner, the group, the DACL header (D: and its flags), then one ACE a line.
func sddlLines(sd *secdesc.SecurityDescriptor, opts secdesc.SDDLOptions) []string {
	var lines []string
	if sd.Owner != nil {
		lines = append(lines, "O:"+sidText(*sd.Owner, opts))
	}
	if sd.Group != nil {
		lines = append(lines, "G:"+sidText(*sd.Group, opts))
	}
	head := "D:"
	if sd.Control&secdesc.ControlDACLProtected != 0 {
		head += "P"
	}
	if sd.Control&secdesc.ControlDACLAutoInheritReq != 0 {
		head += "AR"
	}
	if sd.Control&secdesc.ControlDACLAutoInherited != 0 {
		head += "AI"
	}
	lines = append(lines, head)
	if sd.DACL != nil {
		for _, a := range sd.DACL.ACEs {
			lines = append(lines, opts.FormatACE(a))
		}
	}
	return lines
}

// sidText is a SID as SDDL writes it (with aliases).
func sidText(s secdesc.SID, opts secdesc.SDDLOptions) string {
	f := opts.Format(&secdesc.SecurityDescriptor{Owner: &s})
	return strings.TrimPrefix(f, "O:")
}

// unifiedDiff returns a unified diff (3 lines of context) from a to b, or
// "" when they are equal.
func unifiedDiff(aName, bName string, a, b []string) string {
	// Longest common subsequence; descriptors have at most a few hundred ACEs.
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		ai   int // line in a (0-based) of ' ' and '-'
		bi   int // line in b of ' ' and '+'
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, op{'-', a[i], i, j})
			i++
		}
	}
	const context = 3
	var out strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		// A hunk: from context lines before the change to context lines
		// after the last change that is within 2*context of the next.
		start := max(0, k-context)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(len(ops), end+context)
				break
			}
			end = run
		}
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
		}
		var aStart, aLen, bStart, bLen int
		aStart, bStart = ops[start].ai+1, ops[start].bi+1
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				aLen++
			}
			if o.kind != '-' {
				bLen++
			}
		}
		if aLen == 0 {
			aStart--
		}
		if bLen == 0 {
			bStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}
