package machine

import "testing"

// TestVending is the state × report table.
func TestVending(t *testing.T) {
	const op = 7
	free := View{State: Idle}
	waiting := View{State: Idle, Operation: op, Phase: AwaitingCode}
	atMFA := View{State: MFA, Operation: op, Phase: AwaitingCode}
	released := View{State: MFA, Operation: op, Phase: Released}
	releasing := View{State: Releasing, Operation: op, Phase: Released, ReleaseReported: true}
	rebooted := View{State: Idle, Operation: op, Phase: Released, ReleaseReported: true}
	cases := []struct {
		name   string
		v      View
		r      Report
		want   View
		effect Effect
		err    bool
	}{
		{"boot idle", free, Report{Idle, 0}, free, Nothing, false},
		{"mfa acknowledged", waiting, Report{MFA, op}, atMFA, Nothing, false},
		{"mfa duplicate", atMFA, Report{MFA, op}, atMFA, Nothing, false},
		{"mfa without operation", waiting, Report{MFA, 0}, waiting, Nothing, true},
		{"mfa while free", free, Report{MFA, op}, free, Nothing, true},
		{"mfa after release (late acknowledgement)", released, Report{MFA, op}, released, Nothing, false},
		{"mfa after release while releasing", releasing, Report{MFA, op}, releasing, Nothing, false},
		{"cancelled at the code screen", atMFA, Report{Idle, op}, free, Void, false},
		{"rebooted at the code screen", atMFA, Report{Idle, 0}, free, Void, false},
		{"greeting crossing stateMFA", waiting, Report{Idle, 0}, waiting, Nothing, false},
		{"cancelled before acknowledging the code", waiting, Report{Idle, op}, free, Void, false},
		{"releasing before release", atMFA, Report{Releasing, op}, atMFA, Nothing, true},
		{"releasing", released, Report{Releasing, op}, releasing, Nothing, false},
		{"releasing duplicate", releasing, Report{Releasing, op}, releasing, Nothing, false},
		{"done", releasing, Report{Idle, op}, free, Complete, false},
		{"idle after the release without releasing", released, Report{Idle, op}, free, Unknown, false},
		{"rebooted after release", releasing, Report{Idle, 0}, rebooted, Nothing, false},
		{"done after a reboot", rebooted, Report{Idle, op}, free, Complete, false},
		{"rebooted before reporting the release", released, Report{Idle, 0}, View{State: Idle, Operation: op, Phase: Released}, Nothing, false},
		{"releasing after a reboot", View{State: Idle, Operation: op, Phase: Released}, Report{Releasing, op}, releasing, Nothing, false},
		{"another operation", atMFA, Report{Idle, 99}, atMFA, Nothing, true},
		{"another operation while free", free, Report{Releasing, 99}, free, Nothing, true},
		{"unknown state", atMFA, Report{"dancing", op}, atMFA, Nothing, true},
	}
	for _, c := range cases {
		got, effect, err := Vending(c.v, c.r)
		if got != c.want || effect != c.effect || (err != nil) != c.err {
			t.Errorf("%s: Vending(%+v, %+v) = %+v, %v, %v; want %+v, %v, error %v", c.name, c.v, c.r, got, effect, err, c.want, c.effect, c.err)
		}
	}
}
