package containers

import (
	"os"
	"path/filepath"
)

// RunningIn lists the short ids of the containers of the store at
// graphRoot whose urun holds their run state's lock in the run root
// runRoot. config refuses to pair the store with another run root while
// there are any (config.Overrides.RunningContainers): they would be lost
// from sight.
func RunningIn(runRoot, graphRoot string) []string {
	root := stateRootIn(runRoot)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var running []string
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() {
			continue
		}
		if st, err := ReadState(dir); err != nil || !st.belongsTo(graphRoot) || !locked(dir) {
			continue
		}
		running = append(running, e.Name())
	}
	return running
}
