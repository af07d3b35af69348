package apitest

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// lint checks an AsyncAPI document; see ParseAsyncAPI.
func (a *AsyncSpec) lint() []string {
	var errs []string
	doc := a.s.doc
	if v, _ := doc["asyncapi"].(string); !strings.HasPrefix(v, "3.0.") {
		errs = append(errs, fmt.Sprintf("asyncapi: %q, want 3.0.x", v))
	}
	a.s.lintRefs(&errs, "#", doc)
	if len(errs) > 0 {
		return errs // the rest follows references
	}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	for _, name := range sortedKeys(schemas) {
		where := "#/components/schemas/" + name
		if m, ok := schemas[name].(map[string]any); ok {
			a.s.lintSchema(&errs, where, m)
		} else {
			errs = append(errs, where+": schema is not an object")
		}
	}
	msgs, _ := components["messages"].(map[string]any)
	for _, name := range sortedKeys(msgs) {
		a.lintMessage(&errs, "#/components/messages/"+name, msgs[name])
	}
	channels, _ := doc["channels"].(map[string]any)
	if len(channels) == 0 {
		errs = append(errs, "no channels")
	}
	for _, id := range sortedKeys(channels) {
		where := "#/channels/" + id
		ch := a.s.deref(channels[id])
		if addr, _ := ch["address"].(string); !strings.HasPrefix(addr, "/") {
			errs = append(errs, fmt.Sprintf("%s: address %q is not a path", where, addr))
		}
		cm, _ := ch["messages"].(map[string]any)
		if len(cm) == 0 {
			errs = append(errs, where+": no messages")
		}
		a.messages[id] = map[string]*Message{}
		for _, name := range sortedKeys(cm) {
			if m := a.lintMessage(&errs, where+"/messages/"+name, cm[name]); m != nil {
				m.Channel, m.Name = id, name
				m.Properties = a.propertyOrder(where + "/messages/" + name)
				a.messages[id][name] = m
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	a.lintOperations(&errs)
	return errs
}

// lintMessage checks a message object and returns it (nil if unusable).
func (a *AsyncSpec) lintMessage(errs *[]string, where string, v any) *Message {
	fail := func(format string, args ...any) { *errs = append(*errs, where+": "+fmt.Sprintf(format, args...)) }
	m := a.s.deref(v)
	payload, ok := m["payload"].(map[string]any)
	if !ok {
		fail("no payload schema")
		return nil
	}
	a.s.lintSchema(errs, where+"/payload", payload)
	if t, _ := a.s.deref(payload)["type"].(string); t != "object" {
		fail("the payload is not an object schema")
	}
	exs, _ := m["examples"].([]any)
	for i, ex := range exs {
		exm, _ := ex.(map[string]any)
		p, ok := exm["payload"]
		if !ok {
			fail("examples/%d has no payload", i)
			continue
		}
		for _, e := range a.s.Validate(payload, p) {
			fail("examples/%d does not match the payload schema: %s", i, e)
		}
	}
	key, _ := m["x-frame-key"].(string)
	if _, ok := m["x-frame-key"]; ok && key == "" {
		fail("x-frame-key is not a name")
	}
	ordered, _ := m["x-ordered"].(bool)
	return &Message{Key: key, Ordered: ordered, payload: payload}
}

// lintOperations checks the operations and records each message's action.
func (a *AsyncSpec) lintOperations(errs *[]string) {
	ops, _ := a.s.doc["operations"].(map[string]any)
	for _, id := range sortedKeys(ops) {
		where := "#/operations/" + id
		fail := func(format string, args ...any) { *errs = append(*errs, where+": "+fmt.Sprintf(format, args...)) }
		op, _ := ops[id].(map[string]any)
		action, _ := op["action"].(string)
		if action != "send" && action != "receive" {
			fail("action %q, want send or receive", action)
			continue
		}
		chRef, _ := a.refOf(op["channel"])
		ch, ok := strings.CutPrefix(chRef, "#/channels/")
		if !ok || a.messages[ch] == nil {
			fail("channel %q is not a channel of the document", chRef)
			continue
		}
		list, _ := op["messages"].([]any)
		if len(list) == 0 {
			fail("no messages")
		}
		for _, mv := range list {
			ref, _ := a.refOf(mv)
			name, ok := strings.CutPrefix(ref, chRef+"/messages/")
			m := a.messages[ch][name]
			if !ok || m == nil {
				fail("message %q is not one of its channel's", ref)
				continue
			}
			if m.Action != "" && m.Action != action {
				fail("message %s is both sent and received", name)
			}
			m.Action = action
		}
		if reply, ok := op["reply"].(map[string]any); ok {
			replyCh := chRef
			if r, ok := a.refOf(reply["channel"]); ok {
				replyCh = r
			}
			rl, _ := reply["messages"].([]any)
			for _, mv := range rl {
				if ref, _ := a.refOf(mv); !strings.HasPrefix(ref, replyCh+"/messages/") {
					fail("reply message %q is not one of its channel's", ref)
				}
			}
		}
	}
	for _, ch := range sortedKeys(a.messages) {
		for _, name := range sortedKeys(a.messages[ch]) {
			if a.messages[ch][name].Action == "" {
				*errs = append(*errs, fmt.Sprintf("#/channels/%s/messages/%s: no operation sends or receives it", ch, name))
			}
		}
	}
}

func (a *AsyncSpec) refOf(v any) (string, bool) {
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	return ref, ok
}

// propertyOrder lists the properties of the payload of the message at ref
// in the order the document writes them (a YAML mapping keeps its order;
// the decoded maps do not).
func (a *AsyncSpec) propertyOrder(ref string) []string {
	n := a.follow(a.nodeAt(ref))
	n = a.follow(mappingValue(n, "payload"))
	props := a.follow(mappingValue(n, "properties"))
	if props == nil || props.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(props.Content); i += 2 {
		out = append(out, props.Content[i].Value)
	}
	return out
}

// nodeAt resolves a local reference such as #/components/messages/x.
func (a *AsyncSpec) nodeAt(ref string) *yaml.Node {
	n := a.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if n = mappingValue(a.follow(n), part); n == nil {
			return nil
		}
	}
	return n
}

// follow resolves aliases and $ref until a node without one.
func (a *AsyncSpec) follow(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 32; i++ {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			continue
		}
		ref := mappingValue(n, "$ref")
		if ref == nil {
			return n
		}
		n = a.nodeAt(ref.Value)
	}
	return n
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
