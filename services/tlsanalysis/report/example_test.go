package report_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/report"
)

func ExampleCSV() {
	an := &tlsanalysisv1.Analysis{Remotes: []*tlsanalysisv1.RemoteSummary{{
		Direction: tlsanalysisv1.Direction_DIRECTION_RECEIVE,
		Ip:        "203.0.113.7",
		Names:     []string{"=HYPERLINK(\"x\")", "mta.fabrikam.example"},
		Counts:    &tlsanalysisv1.OutcomeCounts{Tls1_0: 3, Tls1_2: 1, Legacy: 3, Total: 4},
	}}}
	var buf bytes.Buffer
	if err := report.CSV(&buf, an, "remotes"); err != nil {
		panic(err)
	}
	// Lines end in CRLF (RFC 4180); shown here with LF.
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	// Output:
	// direction,ip,names,connectors,first_seen,last_seen,none,ssl3,tls1_0,tls1_1,tls1_2,tls1_3,unknown,failed,legacy,total,starttls,anonymous_tls,must_issue_starttls,weak
	// receive,203.0.113.7,"'=HYPERLINK(""x""); mta.fabrikam.example",,,,0,0,3,0,1,0,0,0,3,4,0,0,0,0
}

func ExampleTable() {
	an := &tlsanalysisv1.Analysis{
		Sessions: 4,
		Totals: []*tlsanalysisv1.DirectionTotals{{
			Direction: tlsanalysisv1.Direction_DIRECTION_RECEIVE,
			Counts:    &tlsanalysisv1.OutcomeCounts{Tls1_0: 3, Tls1_2: 1, Legacy: 3, Total: 4},
		}},
	}
	if err := report.Table(os.Stdout, an, report.TableOptions{}); err != nil {
		panic(err)
	}
	// Output:
	// 4 sessions, 0 files, 0 lines (0 malformed), 0 incomplete sessions
	//
	// DIRECTION  NOTLS  SSL3.0  TLS1.0  TLS1.1  TLS1.2  TLS1.3  UNKNOWN  FAILED  LEGACY  TOTAL  LEGACY%
	// receive    0      0       3       0       1       0       0        0       3       4      75.0%
	//
	// no remote had a legacy session
}
