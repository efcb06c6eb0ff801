package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/netdef"
	"github.com/urun/urun/volumes"
)

// newSystemCommand is `urun system`: df, prune, events, info.
func newSystemCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system COMMAND",
		Short: "Manage urun: disk use, pruning, events, host information",
		Args:  cobra.NoArgs,
	}
	info := newInfoCommand(g)
	cmd.AddCommand(newSystemDfCommand(g), newSystemPruneCommand(g), newEventsCommand(g), info)
	return cmd
}

func newSystemDfCommand(g *globals) *cobra.Command {
	var verbose bool
	var format string
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show disk usage",
		Long: `Show how much disk images, containers, local volumes and the build cache use,
as 'docker system df': TYPE TOTAL ACTIVE SIZE RECLAIMABLE. Images are active
when a container (in any state) uses them, and layers shared by several
images are counted once; a container's size is its writable layer's; the
build cache is the stored layers no image uses and RUN --mount=type=cache
directories. -v lists each image, container and volume. --format takes json
or a Go template of .Type .TotalCount .Active .Size .Reclaimable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			u, err := collectDiskUse(cfg)
			if err != nil {
				return err
			}
			if verbose {
				if format != "" {
					return errors.New("--format with -v: not supported, give one of them")
				}
				return u.printVerbose(os.Stdout, time.Now())
			}
			return u.printSummary(os.Stdout, format)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show each image, container and volume")
	cmd.Flags().StringVar(&format, "format", "", "output format: json or a Go template")
	return cmd
}

// diskUse is what `system df` reports.
type diskUse struct {
	images     []imageUse
	containers []containerUse
	volumes    []volumeUse
	// imagesSize counts each layer once; imagesReclaimable is the size of
	// the layers no container's image has.
	imagesSize, imagesReclaimable int64
	// cacheSize is the build cache's.
	cacheSize, cacheCount int64
}

type imageUse struct {
	id, repo, tag              string
	created                    time.Time
	size, shared, containerUse int64
}

type containerUse struct {
	c    containers.Container
	size int64
}

type volumeUse struct {
	name  string
	links int
	size  int64
}

// storedLayer is one entry of the storage library's layer list
// (GRAPHROOT/overlay-layers/layers.json), which records each unpacked
// layer's size.
type storedLayer struct {
	ID       string `json:"id"`
	DiffSize int64  `json:"diff-size"`
}

// collectDiskUse reads the records of the store's images, containers and
// volumes and measures what has no recorded size.
func collectDiskUse(cfg *config.Config) (*diskUse, error) {
	u := &diskUse{}
	list, err := containers.List(cfg)
	if err != nil {
		return nil, err
	}
	usedImages := map[string]int64{}
	volumeLinks := map[string]int{}
	for _, c := range list {
		usedImages[c.ImageID]++
		for _, v := range c.Volumes {
			if v.Name != "" {
				volumeLinks[v.Name]++
			}
		}
		u.containers = append(u.containers, containerUse{c: c, size: treeSize(filepath.Join(containers.LayerDir(cfg, c.State), "diff"))})
	}

	layerSizes := map[string]int64{}
	if data, err := os.ReadFile(filepath.Join(cfg.GraphRoot, "overlay-layers", "layers.json")); err == nil {
		var layers []storedLayer
		if err := json.Unmarshal(data, &layers); err == nil {
			for _, l := range layers {
				layerSizes[l.ID] = max(l.DiffSize, 0)
			}
		}
	}
	ids, err := local.IDs(cfg.GraphRoot)
	if err != nil {
		return nil, err
	}
	var records []*local.Image
	layerUsers := map[string]int{}
	for _, id := range ids {
		img, err := local.Read(cfg.GraphRoot, id)
		if err != nil {
			continue // removed meanwhile
		}
		records = append(records, img)
		for _, l := range img.Layers {
			layerUsers[l.ID]++
		}
	}
	activeLayers := map[string]bool{}
	for _, img := range records {
		for _, l := range img.Layers {
			if usedImages[img.ID] > 0 {
				activeLayers[l.ID] = true
			}
		}
	}
	for id := range layerUsers {
		u.imagesSize += layerSizes[id]
		if !activeLayers[id] {
			u.imagesReclaimable += layerSizes[id]
		}
	}
	for _, img := range records {
		iu := imageUse{id: img.ID, repo: "<none>", tag: "<none>", containerUse: usedImages[img.ID]}
		iu.created, _ = time.Parse(time.RFC3339Nano, img.Config.Created)
		for _, n := range img.Names {
			if !strings.Contains(n, "@") {
				if i := strings.LastIndexByte(n, ':'); i > strings.LastIndexByte(n, '/') {
					iu.repo, iu.tag = familiarName(n[:i]), n[i+1:]
				}
				break
			}
		}
		for _, l := range img.Layers {
			iu.size += layerSizes[l.ID]
			if layerUsers[l.ID] > 1 {
				iu.shared += layerSizes[l.ID]
			}
		}
		u.images = append(u.images, iu)
	}
	for id, size := range layerSizes {
		if layerUsers[id] == 0 {
			u.cacheSize += size
			u.cacheCount++
		}
	}
	u.cacheSize += treeSize(filepath.Join(cfg.GraphRoot, "urun-build-cache"))

	vols, err := volumes.List(cfg)
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		size := int64(0)
		if !v.Tmpfs() {
			size = treeSize(v.Mountpoint())
		}
		u.volumes = append(u.volumes, volumeUse{name: v.Name, links: volumeLinks[v.Name], size: size})
	}
	return u, nil
}

// familiarName is a repository as Docker shows it: alpine for
// docker.io/library/alpine.
func familiarName(repo string) string {
	if rest, ok := strings.CutPrefix(repo, "docker.io/"); ok {
		return strings.TrimPrefix(rest, "library/")
	}
	return repo
}

// treeSize sums the sizes of the regular files under dir that can be
// reached (a directory of a subordinate id that is closed to the user is
// left out: `urun unshare du` measures it).
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// dfRow is one line of `system df`, with Docker's template fields.
type dfRow struct {
	Type        string
	TotalCount  string
	Active      string
	Size        string
	Reclaimable string
}

// rows are the summary's lines.
func (u *diskUse) rows() []dfRow {
	var imgActive int64
	for _, i := range u.images {
		if i.containerUse > 0 {
			imgActive++
		}
	}
	imgTotal, imgReclaim := u.imagesSize, u.imagesReclaimable
	var ctrSize, ctrReclaim, ctrActive int64
	for _, c := range u.containers {
		ctrSize += c.size
		if c.c.Running {
			ctrActive++
		} else {
			ctrReclaim += c.size
		}
	}
	var volSize, volReclaim, volActive int64
	for _, v := range u.volumes {
		volSize += v.size
		if v.links > 0 {
			volActive++
		} else {
			volReclaim += v.size
		}
	}
	return []dfRow{
		{"Images", strconv.Itoa(len(u.images)), strconv.FormatInt(imgActive, 10), units.HumanSize(float64(imgTotal)), reclaimable(imgReclaim, imgTotal)},
		{"Containers", strconv.Itoa(len(u.containers)), strconv.FormatInt(ctrActive, 10), units.HumanSize(float64(ctrSize)), reclaimable(ctrReclaim, ctrSize)},
		{"Local Volumes", strconv.Itoa(len(u.volumes)), strconv.FormatInt(volActive, 10), units.HumanSize(float64(volSize)), reclaimable(volReclaim, volSize)},
		{"Build Cache", strconv.FormatInt(u.cacheCount, 10), "0", units.HumanSize(float64(u.cacheSize)), units.HumanSize(float64(u.cacheSize))},
	}
}

// reclaimable is Docker's RECLAIMABLE cell: "1.2MB (40%)".
func reclaimable(n, total int64) string {
	pct := int64(0)
	if total > 0 {
		pct = n * 100 / total
	}
	return fmt.Sprintf("%s (%d%%)", units.HumanSize(float64(n)), pct)
}

func (u *diskUse) printSummary(w io.Writer, format string) error {
	rows := u.rows()
	switch format {
	case "", "table":
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable)
		}
		return tw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	f, err := containers.ParseFormat(format)
	if err != nil {
		return err
	}
	anyRows := make([]any, len(rows))
	for i := range rows {
		anyRows[i] = rows[i]
	}
	header := map[string]string{"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}
	return f.Execute(w, header, anyRows)
}

func (u *diskUse) printVerbose(w io.Writer, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "Images space usage:\n\nREPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS")
	for _, i := range u.images {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", i.repo, i.tag, containers.ShortID(i.id), ago(i.created, now),
			units.HumanSize(float64(i.size)), units.HumanSize(float64(i.shared)), units.HumanSize(float64(i.size-i.shared)), i.containerUse)
	}
	fmt.Fprintln(tw, "\nContainers space usage:\n\nCONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES")
	for _, c := range u.containers {
		command := strings.Join(c.c.Command, " ")
		if len(command) > 20 {
			command = command[:19] + "…"
		}
		nvol := 0
		for _, v := range c.c.Volumes {
			if v.Name != "" {
				nvol++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%q\t%d\t%s\t%s\t%s\t%s\n", containers.ShortID(c.c.ID), c.c.Image, command, nvol,
			units.HumanSize(float64(c.size)), ago(c.c.Created, now), c.c.StatusText(now), c.c.Name)
	}
	fmt.Fprintln(tw, "\nLocal Volumes space usage:\n\nVOLUME NAME\tLINKS\tSIZE")
	for _, v := range u.volumes {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", v.name, v.links, units.HumanSize(float64(v.size)))
	}
	fmt.Fprintf(tw, "\nBuild cache usage: %s\n", units.HumanSize(float64(u.cacheSize)))
	return tw.Flush()
}

// ago is Docker's CREATED cell: "2 hours ago".
func ago(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}

func newSystemPruneCommand(g *globals) *cobra.Command {
	var all, withVolumes bool
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Long: `Remove, as 'docker system prune' does, all stopped containers, the networks
no container is on, dangling images (with -a: every image no container
uses) and the build cache; with --volumes also the anonymous volumes no
container uses. On a terminal it asks first, unless -f. --filter takes
label=KEY[=VALUE], label!=KEY[=VALUE] and until=TIME, applied to the
containers, the networks and the images.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := p.parse()
			if err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if !p.confirmed(systemPruneWarning(all, withVolumes)) {
				return nil
			}
			var total int64
			var errs []error
			pruned, err := containers.Prune(cfg, filters)
			errs = append(errs, err)
			if len(pruned.IDs) > 0 {
				fmt.Println("Deleted Containers:")
				for _, id := range pruned.IDs {
					fmt.Println(id)
				}
				fmt.Println()
			}
			total += pruned.Reclaimed
			removed, err := netdef.PruneUnused(cfg, filters, func() ([]netdef.Endpoint, error) { return networkEndpoints(cfg) })
			errs = append(errs, err)
			if len(removed) > 0 {
				fmt.Println("Deleted Networks:")
				for _, name := range removed {
					fmt.Println(name)
				}
				fmt.Println()
			}
			if withVolumes {
				vp, err := volumes.Prune(cfg, volumes.PruneOptions{})
				errs = append(errs, err)
				if len(vp.Names) > 0 {
					fmt.Println("Deleted Volumes:")
					for _, name := range vp.Names {
						fmt.Println(name)
					}
					fmt.Println()
				}
				total += vp.Reclaimed
			}
			n, err := helperReclaimed(request.Request{Store: g.store(), Prune: &request.Prune{All: all, Filters: filters}})
			errs = append(errs, err)
			total += n
			n, err = helperReclaimed(request.Request{Store: g.store(), BuilderPrune: &request.BuilderPrune{}})
			errs = append(errs, err)
			total += n
			fmt.Printf("Total reclaimed space: %s\n", units.HumanSize(float64(total)))
			return errors.Join(errs...)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "remove every image no container uses, not only dangling ones")
	fl.BoolVar(&withVolumes, "volumes", false, "remove anonymous volumes no container uses too")
	p.add(cmd, "containers, networks and images")
	return cmd
}

// systemPruneWarning is Docker's question.
func systemPruneWarning(all, withVolumes bool) string {
	lines := []string{"WARNING! This will remove:", "  - all stopped containers", "  - all networks not used by at least one container"}
	if withVolumes {
		lines = append(lines, "  - all anonymous volumes not used by at least one container")
	}
	if all {
		lines = append(lines, "  - all images without at least one container associated to them", "  - all build cache")
	} else {
		lines = append(lines, "  - all dangling images", "  - unused build cache")
	}
	return strings.Join(lines, "\n") + "\n\nAre you sure you want to continue? [y/N] "
}

// helperReclaimed has the image helper prune and prints its report but
// for its "Total reclaimed space" line, whose figure it returns.
func helperReclaimed(r request.Request) (int64, error) {
	var out bytes.Buffer
	err := helper.RunTo(r, &out)
	var n int64
	var report []string
	for _, line := range strings.Split(out.String(), "\n") {
		if size, ok := strings.CutPrefix(line, "Total reclaimed space: "); ok {
			n, _ = units.FromHumanSize(size)
			continue
		}
		if line == "Deleted build cache objects: 0" {
			continue
		}
		report = append(report, line)
	}
	// Each section ends with one empty line, as Docker's.
	if text := strings.TrimSpace(strings.Join(report, "\n")); text != "" {
		fmt.Print(text + "\n\n")
	}
	return n, err
}
