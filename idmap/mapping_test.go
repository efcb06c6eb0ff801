package idmap

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestContainerRootIsTheCallerAndOtherIDsAreSubordinate(t *testing.T) {
	tests := []struct {
		name    string
		uid     uint32
		subUIDs []Range
		want    []Entry
	}{
		{
			name: "no ranges: only root is mapped",
			uid:  1000,
			want: []Entry{{ContainerID: 0, HostID: 1000, Size: 1}},
		},
		{
			name:    "one range follows root",
			uid:     1000,
			subUIDs: []Range{{Start: 100000, Count: 65536}},
			want:    []Entry{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}},
		},
		{
			name:    "two ranges concatenate in order",
			uid:     1001,
			subUIDs: []Range{{Start: 300000, Count: 1000}, {Start: 100000, Count: 65536}},
			want: []Entry{
				{ContainerID: 0, HostID: 1001, Size: 1},
				{ContainerID: 1, HostID: 300000, Size: 1000},
				{ContainerID: 1001, HostID: 100000, Size: 65536},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Build(tt.uid, 50, tt.subUIDs, nil)
			assert.Equal(t, tt.want, m.UIDs)
			assert.Equal(t, []Entry{{ContainerID: 0, HostID: 50, Size: 1}}, m.GIDs, "gids are built from their own ranges")
		})
	}
}

func TestGIDMapUsesTheCallersGIDAndSubGIDs(t *testing.T) {
	m := Build(1000, 2000, []Range{{Start: 100000, Count: 10}}, []Range{{Start: 500000, Count: 20}})
	assert.Equal(t, []Entry{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 10}}, m.UIDs)
	assert.Equal(t, []Entry{{ContainerID: 0, HostID: 2000, Size: 1}, {ContainerID: 1, HostID: 500000, Size: 20}}, m.GIDs)
}

func TestContainerIDsTranslateToHostIDs(t *testing.T) {
	entries := Build(1000, 1000, []Range{{Start: 100000, Count: 65536}, {Start: 300000, Count: 10}}, nil).UIDs
	tests := []struct {
		name   string
		id     uint32
		want   uint32
		mapped bool
	}{
		{"container root is the caller", 0, 1000, true},
		{"first subordinate id", 1, 100000, true},
		{"last id of the first range", 65536, 165535, true},
		{"first id of the second range", 65537, 300000, true},
		{"last id of the second range", 65546, 300009, true},
		{"just past the map", 65547, 0, false},
		{"nobody (65534) is inside the first range", 65534, 165533, true},
		{"far past the map", 4294967295, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ToHost(entries, tt.id)
			assert.Equal(t, tt.mapped, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMapSizeCountsEveryMappedID(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    uint32
	}{
		{"empty map", nil, 0},
		{"root only", Build(1000, 1000, nil, nil).UIDs, 1},
		{"root and one range", Build(1000, 1000, []Range{{Start: 100000, Count: 65536}}, nil).UIDs, 65537},
		{"root and two ranges", Build(1000, 1000, []Range{{Start: 100000, Count: 65536}, {Start: 300000, Count: 10}}, nil).UIDs, 65547},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Size(tt.entries))
		})
	}
}
