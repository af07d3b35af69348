package http

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/coinop/coinop"
)

// legacyMapping is the body and the answer of PUT
// /api/v2/admin/machines/{id}/legacy.
type legacyMapping struct {
	Machine   int64  `json:"machine"`
	Namespace string `json:"namespace"`
	ID        string `json:"id"`
}

// handleMapLegacy: PUT /api/v2/admin/machines/{id}/legacy makes a legacy
// program's identity ({"namespace": "vending-machine"|"arcade", "id": "0"},
// id as a string or a number) stand for the machine (audited).
func (s *Server) handleMapLegacy() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		machine, err := pathID(r, "id")
		var req struct {
			Namespace string          `json:"namespace"`
			ID        json.RawMessage `json:"id"`
		}
		if err == nil {
			err = decodeJSON(w, r, &req, "invalid JSON")
		}
		id, ok := legacyID(req.ID)
		id = strings.TrimSpace(id)
		if err == nil && (!ok || req.Namespace == "") {
			err = coinop.Errorf(coinop.EINVALID, "namespace and id are required")
		}
		if err == nil {
			err = s.opts.Store.MapLegacyMachine(r.Context(), a.person.ID, req.Namespace, id, machine)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, legacyMapping{Machine: machine, Namespace: req.Namespace, ID: id})
	})
}
