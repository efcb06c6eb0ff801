package idmap

// KeepID are podman's keep-id mappings built on the store's mappings d
// (container 0 = the caller): the caller is uid and gid inside, the ids
// below them are d's 1..uid, the ids above them d's own. Without
// subordinate ids (d maps one id) the caller is the only id mapped.
func KeepID(d Mappings, uid, gid uint32) Mappings {
	return Mappings{UIDs: keepID(d.UIDs, uid), GIDs: keepID(d.GIDs, gid)}
}

func keepID(d []Entry, id uint32) []Entry {
	size := Size(d)
	below := min(id, size-1)
	out := slice(d, 0, 1, below)
	out = append(out, slice(d, id, 0, 1)...)
	if size-1 > id {
		out = append(out, slice(d, id+1, id+1, size-1-id)...)
	}
	return out
}

// slice maps count container ids from start to the host ids d gives
// d's container ids from from.
func slice(d []Entry, start, from, count uint32) []Entry {
	var out []Entry
	end := uint64(from) + uint64(count)
	for _, e := range d {
		lo := max(uint64(e.ContainerID), uint64(from))
		hi := min(uint64(e.ContainerID)+uint64(e.Size), end)
		if lo >= hi {
			continue
		}
		out = append(out, Entry{
			ContainerID: start + uint32(lo-uint64(from)),
			HostID:      e.HostID + uint32(lo-uint64(e.ContainerID)),
			Size:        uint32(hi - lo),
		})
	}
	return out
}
