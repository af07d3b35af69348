// Package demo is coinop's demo mode (`coinop --demo`): a catalogue, a
// simulated machine for each machine of it, running in the process, and
// their screens for the machines page. Nothing here runs without --demo.
package demo

import (
	"context"

	"github.com/coinop/coinop"
)

// Machine is a demo machine and its current key.
type Machine struct {
	ID   int64
	Name string
	Kind coinop.MachineKind
	Key  string
}

// product, machine and stock of the demo catalogue.
var (
	snacks = []coinop.Product{
		{Name: "Pipoca", Description: "Pipoca doce, 100 g", Type: coinop.TypeFoods, Price: 3, Image: "🍿"},
		{Name: "Chocolate", Description: "Barra ao leite, 90 g", Type: coinop.TypeFoods, Price: 5, Image: "🍫"},
		{Name: "Suco de uva", Description: "Caixinha, 200 ml", Type: coinop.TypeFoods, Price: 4, Image: "🧃"},
	}
	credit = coinop.Product{Name: "Ficha de fliperama", Description: "Uma partida", Type: coinop.TypeArcade, Price: 2, Image: "🕹️"}
	games  = []coinop.Product{
		{Name: "Corrida Espacial", Description: "Desvie dos asteroides", Type: coinop.TypeGames, ClientIDs: []string{"demo-game-space"}, Image: "🚀", PayoutLimit: 50},
		{Name: "Quebra-Cabeça", Description: "Monte a figura", Type: coinop.TypeGames, ClientIDs: []string{"demo-game-puzzle"}, Image: "🧩", PayoutLimit: 50},
	}
	machineNames = []struct {
		name string
		kind coinop.MachineKind
	}{{"Máquina de lanches", coinop.KindVending}, {"Fliperama 1", coinop.KindArcade}, {"Fliperama 2", coinop.KindArcade}}
)

// Seed creates the demo catalogue when the store has no products yet, and
// gives every demo machine a fresh key for this run.
func Seed(ctx context.Context, s coinop.Store) ([]Machine, error) {
	existing, err := s.Products(ctx, "")
	if err != nil {
		return nil, err
	}
	if len(existing) == 0 {
		if err := create(ctx, s); err != nil {
			return nil, err
		}
	}
	ms, err := s.Machines(ctx)
	if err != nil {
		return nil, err
	}
	var out []Machine
	for _, m := range ms {
		if !isDemoMachine(m.Name) {
			continue // a machine an operator added: its key is theirs
		}
		key, _, err := s.RotateMachineKey(ctx, 0, m.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Machine{ID: m.ID, Name: m.Name, Kind: m.Kind, Key: key})
	}
	return out, nil
}

func create(ctx context.Context, s coinop.Store) error {
	var ids []int64
	for _, p := range append(append(append([]coinop.Product{}, snacks...), credit), games...) {
		if err := s.CreateProduct(ctx, 0, &p); err != nil {
			return err
		}
		ids = append(ids, p.ID)
	}
	for i, mn := range machineNames {
		m := &coinop.Machine{Name: mn.name, Kind: mn.kind, Location: "Demo"}
		if _, err := s.CreateMachine(ctx, 0, m); err != nil {
			return err
		}
		stock := []coinop.Stock{{MachineID: m.ID, Slot: int64(i), ProductID: ids[3], Quantity: 99}}
		if mn.kind == coinop.KindVending {
			stock = []coinop.Stock{
				{MachineID: m.ID, Slot: 1, ProductID: ids[0], Quantity: 10},
				{MachineID: m.ID, Slot: 2, ProductID: ids[1], Quantity: 10},
				{MachineID: m.ID, Slot: 3, ProductID: ids[2], Quantity: 10},
			}
		}
		for _, st := range stock {
			if err := s.SetStock(ctx, 0, st); err != nil {
				return err
			}
		}
	}
	return nil
}

func isDemoMachine(name string) bool {
	for _, mn := range machineNames {
		if mn.name == name {
			return true
		}
	}
	return false
}
