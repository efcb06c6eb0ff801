package holder

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/urun/urun/usernet"
)

// uplinkDevice is slirp4netns's interface in the holder's namespace.
const uplinkDevice = "tap0"

// firewall is the holder's nftables table "urun": traffic from a network
// goes out through the uplink, masqueraded, and its answers come back;
// nothing passes between two networks, nor out of an internal one. It is
// written through netlink, as `nft` would be some 10 ms a
// run.
type firewall struct {
	conn    *nftables.Conn
	table   *nftables.Table
	forward *nftables.Chain
}

func newFirewall() (*firewall, error) {
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("open nftables: %w", err)
	}
	fw := &firewall{conn: conn}
	fw.table = &nftables.Table{Family: nftables.TableFamilyIPv4, Name: "urun"}
	// A killed holder's table is made again from scratch.
	if tables, err := conn.ListTablesOfFamily(nftables.TableFamilyIPv4); err == nil {
		for _, t := range tables {
			if t.Name == fw.table.Name {
				conn.DelTable(t)
			}
		}
	}
	conn.AddTable(fw.table)
	drop := nftables.ChainPolicyDrop
	fw.forward = conn.AddChain(&nftables.Chain{
		Name: "forward", Table: fw.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop,
	})
	post := conn.AddChain(&nftables.Chain{
		Name: "postrouting", Table: fw.table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource,
	})
	conn.AddRule(&nftables.Rule{Table: fw.table, Chain: post, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(uplinkDevice)},
		&expr.Masq{},
	}})
	if err := conn.Flush(); err != nil {
		return nil, fmt.Errorf("write the networks' firewall: %w (a user namespace cannot load kernel modules: as root, 'modprobe -a nf_tables nft_masq nft_chain_nat')", err)
	}
	return fw, nil
}

// addNetwork lets the containers of a network talk to each other across
// its bridge (which passes this table when the host loaded br_netfilter),
// and, unless it is internal, reach the uplink.
func (fw *firewall) addNetwork(spec usernet.NetworkSpec) error {
	ways := [][2]string{{spec.Bridge, spec.Bridge}}
	if !spec.Internal {
		ways = append(ways, [2]string{spec.Bridge, uplinkDevice}, [2]string{uplinkDevice, spec.Bridge})
	}
	for _, dir := range ways {
		fw.conn.AddRule(&nftables.Rule{Table: fw.table, Chain: fw.forward, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(dir[0])},
			&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(dir[1])},
			&expr.Verdict{Kind: expr.VerdictAccept},
		}})
	}
	if err := fw.conn.Flush(); err != nil {
		return fmt.Errorf("let network %s through the firewall: %w", spec.Name, err)
	}
	return nil
}

// ifname is an interface name as nftables compares it: NUL-padded to
// IFNAMSIZ.
func ifname(name string) []byte {
	b := make([]byte, 16)
	copy(b, name)
	return b
}
