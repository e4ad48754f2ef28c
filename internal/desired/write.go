package desired

import (
	"encoding/csv"
	"io"
)

// ExportColumns is the header WriteCSV writes: every known column that
// names a system, a group or a person, ids before names.
var ExportColumns = []string{
	ColumnSystemID, ColumnSystemName, ColumnGroupID, ColumnGroupName,
	ColumnAcsUserID, ColumnIdentityID, ColumnEmail, ColumnPhone, ColumnFullName,
}

// WriteCSV writes rows in the input format, under the ExportColumns header,
// so that Read reads them back as they are.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.SystemID, r.SystemName, r.GroupID, r.GroupName, r.AcsUserID, r.UserIdentityID, r.Email, r.Phone, r.FullName}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
