# test_debitcard.tcl -- drives debitcard.tcl through the fake IVR runtime.
#
#   tclsh tcl/harness/test_debitcard.tcl        (from the repo root or tcl/)
#
# Each scenario delivers events one at a time and asserts the exact commands
# the script answers with.  Prints one line per scenario, then
# "tcl: N passed, M failed"; exits non-zero when anything failed.

source [file join [file dirname [file normalize [info script]]] ivr_fake.tcl]

# --- expectations ----------------------------------------------------------

set lang en  ;# language of the prompts the next expectations mention

# "media play" of the named prompts (dynamic %a/%t tokens pass through).
proc play { args } {
    set urls {}
    foreach name $args {
        if {[string index $name 0] eq "%"} {
            lappend urls $name
        } else {
            lappend urls "flash:${::lang}_$name.au"
        }
    }
    return "media play leg_incoming [join $urls]"
}

set COLLECT_ACCOUNT "leg collectdigits leg_incoming digits any_digits"
set COLLECT_PIN     "leg collectdigits leg_incoming digits any_digits"
set COLLECT_DEST    "leg collectdigits leg_incoming dialing"

proc check { what got want } {
    if {$got ne $want} {
        set msg "$what:\n      expected:"
        foreach line $want { append msg "\n        $line" }
        append msg "\n      got:"
        foreach line $got { append msg "\n        $line" }
        error $msg
    }
}

# Deliver an event and assert the commands the script issues in response.
proc step { event attrs want } {
    ivr::deliver $event {*}$attrs
    check "after $event $attrs" [ivr::take] $want
}

# Let the clock run and assert what the script did meanwhile.
proc wait { seconds want } {
    ivr::advance $seconds
    check "after $seconds s more (t=[ivr::now])" [ivr::take] $want
}

proc expect_state { want } {
    check "state" [ivr::state] $want
}

proc expect_closed { } {
    if {![ivr::closed]} {
        error "call not closed (state [ivr::state])"
    }
}

# --- building blocks of a call ---------------------------------------------

set ACCOUNT 1001
set PIN     4321
set ANI     5550100
set DEST    15551234
set LOGIN_OK {h323-return-code 0 h323-credit-amount 12.50 h323-currency USD h323-preferred-lang en}

proc answer { args } {
    ivr::new_call {*}$args
    step ev_setup_indication {} [list \
        "leg setupack leg_incoming" \
        "leg proceeding leg_incoming" \
        "leg connect leg_incoming" \
        $::COLLECT_ACCOUNT [play enter_account]]
    expect_state GET_ACCOUNT
}

proc enter_account { } {
    step ev_collectdigits_done [list status cd_005 digits $::ACCOUNT] [list $::COLLECT_PIN [play enter_pin]]
    expect_state GET_PIN
}

proc enter_pin { } {
    step ev_collectdigits_done [list status cd_005 digits $::PIN] [list "aaa authenticate $::ACCOUNT $::PIN"]
    expect_state AUTHENTICATING
}

# Answer, account, PIN, and a successful authentication.
proc login { args } {
    answer {*}$args
    enter_account
    enter_pin
    step ev_authenticate_done [list status ad_000 avpairs $::LOGIN_OK] \
        [list $::COLLECT_DEST [play you_have %a1250 enter_dest]]
    expect_state GET_DEST
}

proc dial { {dest ""} } {
    if {$dest eq ""} { set dest $::DEST }
    step ev_collectdigits_done [list status cd_004 digits $dest] \
        [list "aaa authorize $::ACCOUNT $::PIN $::ANI $dest leg_incoming"]
    expect_state AUTHORIZING
}

proc authorized { avpairs {dest ""} } {
    if {$dest eq ""} { set dest $::DEST }
    step ev_authorize_done [list status au_000 avpairs $avpairs] [list "leg setup $dest callInfo leg_incoming"]
    expect_state PLACING
}

# Login, dial, authorize with the given reply, far end answers.
proc talking { avpairs want_timers args } {
    login {*}$args
    dial
    authorized $avpairs
    step ev_setup_done {status ls_000} $want_timers
    expect_state TALKING
}

# The prompts have been played: the caller is released and the call closed.
proc hangs_up_after_prompt { } {
    expect_state GOODBYE
    step ev_media_done {status ms_000} [list "leg disconnect leg_incoming"]
    expect_state CLOSING
    step ev_disconnect_done {legs 1} [list "call close"]
    expect_closed
}

proc caller_hangs_up { want } {
    step ev_disconnected {legs 1} $want
    expect_closed
}

# --- the runner ------------------------------------------------------------

set passed 0
set failed 0

proc scenario { name body } {
    set ::lang en
    if {[catch {uplevel #0 $body} err]} {
        incr ::failed
        puts "FAIL  $name\n      $err"
        foreach line [lrange [ivr::trace] end-8 end] {
            puts "      | $line"
        }
    } else {
        incr ::passed
        puts "ok    $name"
    }
}

# The return codes of the reference table and the prompt each must play.
set RC_PROMPTS {
    1  invalid_account
    2  invalid_pin
    3  account_in_use
    4  zero_balance
    5  card_expired
    6  credit_limit
    7  user_denied
    8  no_service
    9  dest_blocked
    10 retries_exceeded
    11 invalid_argument
    12 insufficient_balance
    14 invalid_card
}

# --- scenarios -------------------------------------------------------------

scenario "loading registers every parameter with its default" {
    set registered {}
    foreach cmd [ivr::new_call] {
        check "load command" [lrange $cmd 0 1] {param register}
        lappend registered [lindex $cmd 2] [lindex $cmd 4]
    }
    check "registered" $registered [list retry-count 3 warning-time 60 language en languages en \
        prompt-location flash: announce-credit 1 alert-timeout 30 \
        customer-service-number none session-timeout-avpair session-timeout route-max 5 route-format sip:%s@%s]
    expect_state CALL_INIT
}

scenario "happy path: 300 s credit, warning at 240 s, torn down at 300 s" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 240 warn"]
    check "callInfo" [dict get [ivr::array_of callInfo] accountNum] $ACCOUNT
    check "alert time" [dict get [ivr::array_of callInfo] alertTime] 30
    wait 239 {}
    wait 1 [list "timer start named_timer 60 expire" "connection destroy con_all"]
    expect_state WARNING
    step ev_destroy_done {status cr_000} [list [play credit_warning]]
    step ev_media_done {status ms_000} [list "connection create 1 2"]
    expect_state TALKING
    wait 59 {}
    wait 1 [list "leg disconnect leg_outgoing"]
    expect_state EXPIRING
    step ev_disconnect_done {legs 2} [list [play credit_exhausted]]
    hangs_up_after_prompt
    check "time of teardown" [ivr::now] 300
}

scenario "authentication accepted with code 13 (toll-free only) proceeds" {
    answer
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_000 avpairs {h323-return-code 13}} [list $COLLECT_DEST [play enter_dest]]
    expect_state GET_DEST
}

foreach {rc prompt} $RC_PROMPTS {
    scenario "authenticate reject $rc plays $prompt" [string map [list @RC@ $rc @P@ $prompt] {
        answer
        enter_account
        enter_pin
        set reply {status ad_001 avpairs {h323-return-code @RC@}}
        switch -- @RC@ {
            2  {
                step ev_authenticate_done $reply [list $COLLECT_PIN [play invalid_pin enter_pin]]
                expect_state GET_PIN
            }
            10 {
                step ev_authenticate_done $reply [list [play retries_exceeded]]
                hangs_up_after_prompt
            }
            default {
                step ev_authenticate_done $reply [list $COLLECT_ACCOUNT [play @P@ enter_account]]
                expect_state GET_ACCOUNT
            }
        }
    }]
}

scenario "authentication without reply or return code plays no_service" {
    answer
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_001} [list $COLLECT_ACCOUNT [play no_service enter_account]]
}

scenario "an Accept carrying a failure code is a reject (card expired)" {
    answer
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_000 avpairs {h323-return-code 5}} \
        [list $COLLECT_ACCOUNT [play card_expired enter_account]]
}

scenario "a Reject carrying code 0 is service not available" {
    answer
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_001 avpairs {h323-return-code 0}} \
        [list $COLLECT_ACCOUNT [play no_service enter_account]]
}

foreach {rc prompt} $RC_PROMPTS {
    scenario "authorize reject $rc plays $prompt" [string map [list @RC@ $rc @P@ $prompt] {
        login
        dial
        set reply {status au_001 avpairs {h323-return-code @RC@}}
        if {@RC@ == 10} {
            step ev_authorize_done $reply [list [play retries_exceeded]]
            hangs_up_after_prompt
        } else {
            step ev_authorize_done $reply [list $COLLECT_DEST [play @P@ enter_dest]]
            expect_state GET_DEST
            dial 15550000
        }
    }]
}

scenario "authorize reply in Cisco name=value form" {
    login
    dial
    authorized {h323-return-code h323-return-code=0 h323-credit-time h323-credit-time=90}
    step ev_setup_done {status ls_000} [list "timer start named_timer 30 warn"]
}

scenario "credit time 0 is zero balance; caller dials another number" {
    login
    dial
    step ev_authorize_done {status au_000 avpairs {h323-return-code 0 h323-credit-time 0}} \
        [list $COLLECT_DEST [play zero_balance enter_dest]]
    dial 18005550199
    authorized {h323-return-code 13} 18005550199
}

scenario "Session-Timeout smaller than credit time wins" {
    talking {h323-return-code 0 h323-credit-time 300 session-timeout 120} [list "timer start named_timer 60 warn"]
    wait 60 [list "timer start named_timer 60 expire" "connection destroy con_all"]
    step ev_destroy_done {} [list [play credit_warning]]
    step ev_media_done {} [list "connection create 1 2"]
    wait 60 [list "leg disconnect leg_outgoing"]
    check "time of teardown" [ivr::now] 120
}

scenario "Session-Timeout larger than credit time is ignored" {
    talking {h323-return-code 0 h323-credit-time 300 session-timeout 3600} [list "timer start named_timer 240 warn"]
}

scenario "session-timeout-avpair none ignores Session-Timeout" {
    talking {h323-return-code 0 h323-credit-time 300 session-timeout 120} [list "timer start named_timer 240 warn"] \
        -cfg {session-timeout-avpair none}
    if {[lsearch -glob [ivr::trace] "*aaa_avpair_exists none*"] >= 0} {
        error "looked up an AV pair named none"
    }
}

scenario "a Session-Timeout name the gateway rejects does not end the call" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 240 warn"] \
        -cfg {session-timeout-avpair Session-Timeout}
}

scenario "credit shorter than warning time: no warning, cut at credit time" {
    talking {h323-return-code 0 h323-credit-time 45} [list "timer start named_timer 45 expire"]
    wait 45 [list "leg disconnect leg_outgoing"]
    step ev_disconnect_done {legs 2} [list [play credit_exhausted]]
    hangs_up_after_prompt
}

scenario "warning-time and retry-count parameters are honoured" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 270 warn"] \
        -cfg {warning-time 30 retry-count 5}
    wait 270 [list "timer start named_timer 30 expire" "connection destroy con_all"]
}

scenario "no credit time (postpaid): no timers" {
    talking {h323-return-code 0} {}
    wait 100000 {}
    caller_hangs_up [list "call close"]
}

scenario "toll-free (13) with credit time 0 is not cut off" {
    talking {h323-return-code 13 h323-credit-time 0} {}
}

scenario "hairpin (50) is placed like a normal call" {
    talking {h323-return-code 50 h323-credit-time 300} [list "timer start named_timer 240 warn"]
}

scenario "redirect 51 sets up to h323-redirect-number" {
    login
    dial
    step ev_authorize_done {status au_000 avpairs {h323-return-code 51 h323-redirect-number 18005550123}} \
        [list "leg setup 18005550123 callInfo leg_incoming"]
    step ev_setup_done {status ls_000} {}
    expect_state TALKING
}

scenario "redirect 51 without a number plays no_service" {
    login
    dial
    step ev_authorize_done {status au_000 avpairs {h323-return-code 51}} [list $COLLECT_DEST [play no_service enter_dest]]
}

scenario "redirect 52 goes to customer-service-number" {
    login -cfg {customer-service-number 18005550100}
    dial
    step ev_authorize_done {status au_001 avpairs {h323-return-code 52}} \
        [list "leg setup 18005550100 callInfo leg_incoming"]
}

scenario "redirect 52 without customer-service-number plays no_service" {
    login
    dial
    step ev_authorize_done {status au_001 avpairs {h323-return-code 52}} [list $COLLECT_DEST [play no_service enter_dest]]
}

scenario "53 (IP redirect) is not supported: no_service, dial again" {
    login
    dial
    step ev_authorize_done {status au_000 avpairs {h323-return-code 53 h323-redirect-ip-address 192.0.2.7}} \
        [list $COLLECT_DEST [play no_service enter_dest]]
}

scenario "a route list is tried in rank order until a route connects" {
    login
    dial
    step ev_authorize_done [list status au_000 avpairs {h323-return-code 0 h323-credit-time 300
        radbill-route-1 radbill-route-1=10.2.0.1;CarrierX;0.040000;EUR;300
        radbill-route-2 10.3.0.1;CarrierY;0.045000;EUR;300}] \
        [list "leg setup sip:$DEST@10.2.0.1 callInfo leg_incoming"]
    step ev_setup_done {status ls_004} [list "leg setup sip:$DEST@10.3.0.1 callInfo leg_incoming"]
    expect_state PLACING
    step ev_setup_done {status ls_000} [list "timer start named_timer 240 warn"]
    expect_state TALKING
}

scenario "every route failing: unreachable, dial again" {
    login
    dial
    step ev_authorize_done [list status au_000 avpairs {h323-return-code 0 h323-credit-time 300 radbill-route-1 10.2.0.1;CarrierX;0.04;EUR}] \
        [list "leg setup sip:$DEST@10.2.0.1 callInfo leg_incoming"]
    step ev_setup_done {status ls_004} [list $COLLECT_DEST [play dest_unreachable enter_dest]]
}

scenario "a busy destination is not tried on the next route" {
    login
    dial
    step ev_authorize_done [list status au_000 avpairs {h323-return-code 0 h323-credit-time 300
        radbill-route-1 10.2.0.1;CarrierX;0.04;EUR radbill-route-2 10.3.0.1;CarrierY;0.045;EUR}] \
        [list "leg setup sip:$DEST@10.2.0.1 callInfo leg_incoming"]
    step ev_setup_done {status ls_007} [list $COLLECT_DEST [play dest_busy enter_dest]]
}

scenario "route-max 0 ignores the list: the gateway's dial peers route" {
    login -cfg {route-max 0}
    dial
    authorized {h323-return-code 0 h323-credit-time 300 radbill-route-1 10.2.0.1;CarrierX;0.04;EUR}
}

scenario "account: retries exceeded after 3 failed entries" {
    answer
    step ev_collectdigits_done {status cd_001 digits {}} [list $COLLECT_ACCOUNT [play invalid_entry enter_account]]
    step ev_collectdigits_done {status cd_001 digits {}} [list $COLLECT_ACCOUNT [play invalid_entry enter_account]]
    step ev_collectdigits_done {status cd_001 digits {}} [list [play invalid_entry retries_exceeded]]
    hangs_up_after_prompt
}

scenario "account: rejected twice, third time right" {
    answer
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_001 avpairs {h323-return-code 1}} [list $COLLECT_ACCOUNT [play invalid_account enter_account]]
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_001 avpairs {h323-return-code 14}} [list $COLLECT_ACCOUNT [play invalid_card enter_account]]
    enter_account
    enter_pin
    step ev_authenticate_done [list status ad_000 avpairs $LOGIN_OK] [list $COLLECT_DEST [play you_have %a1250 enter_dest]]
}

scenario "PIN: retries exceeded after 3 wrong PINs" {
    answer
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_001 avpairs {h323-return-code 2}} [list $COLLECT_PIN [play invalid_pin enter_pin]]
    enter_pin
    step ev_authenticate_done {status ad_001 avpairs {h323-return-code 2}} [list $COLLECT_PIN [play invalid_pin enter_pin]]
    enter_pin
    step ev_authenticate_done {status ad_001 avpairs {h323-return-code 2}} [list [play invalid_pin retries_exceeded]]
    hangs_up_after_prompt
}

scenario "PIN: empty entry counts as a failed attempt" {
    answer
    enter_account
    step ev_collectdigits_done {status cd_005 digits {}} [list $COLLECT_PIN [play invalid_entry enter_pin]]
    enter_pin
}

scenario "destination: retries exceeded after 3 numbers not in the dial plan" {
    login
    step ev_collectdigits_done {status cd_006 digits 99} [list $COLLECT_DEST [play invalid_entry enter_dest]]
    step ev_collectdigits_done {status cd_006 digits 98} [list $COLLECT_DEST [play invalid_entry enter_dest]]
    step ev_collectdigits_done {status cd_006 digits 97} [list [play invalid_entry retries_exceeded]]
    hangs_up_after_prompt
}

scenario "destination: retries exceeded after 3 authorize rejects" {
    login -cfg {retry-count 3}
    dial
    step ev_authorize_done {status au_001 avpairs {h323-return-code 9}} [list $COLLECT_DEST [play dest_blocked enter_dest]]
    dial
    step ev_authorize_done {status au_001 avpairs {h323-return-code 12}} [list $COLLECT_DEST [play insufficient_balance enter_dest]]
    dial
    step ev_authorize_done {status au_001 avpairs {h323-return-code 9}} [list [play dest_blocked retries_exceeded]]
    hangs_up_after_prompt
}

scenario "far end busy, then redial connects" {
    login
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_007} [list $COLLECT_DEST [play dest_busy enter_dest]]
    expect_state GET_DEST
    dial 15559999
    authorized {h323-return-code 0 h323-credit-time 600} 15559999
    step ev_setup_done {status ls_000} [list "timer start named_timer 540 warn"]
    expect_state TALKING
}

scenario "far end does not answer, then redial connects" {
    login
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_002} [list $COLLECT_DEST [play dest_no_answer enter_dest]]
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_000} [list "timer start named_timer 540 warn"]
}

scenario "far end unreachable plays dest_unreachable" {
    login
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_003} [list $COLLECT_DEST [play dest_unreachable enter_dest]]
}

scenario "three failed setups exhaust the destination retries" {
    login
    foreach status {ls_007 ls_002} prompt {dest_busy dest_no_answer} {
        dial
        authorized {h323-return-code 0 h323-credit-time 600}
        step ev_setup_done [list status $status] [list $COLLECT_DEST [play $prompt enter_dest]]
    }
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_007} [list [play dest_busy retries_exceeded]]
    hangs_up_after_prompt
}

scenario "far end hangs up mid-call: caller may dial again" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 240 warn"]
    wait 100 {}
    step ev_disconnected {legs 2} [list "timer stop named_timer warn" "leg disconnect leg_outgoing"]
    expect_state FAR_END_GONE
    step ev_disconnect_done {legs 2} [list $COLLECT_DEST [play enter_dest]]
    expect_state GET_DEST
    wait 1000 {}
    dial 15557777
    authorized {h323-return-code 0 h323-credit-time 200} 15557777
    step ev_setup_done {status ls_000} [list "timer start named_timer 140 warn"]
}

scenario "a connected call gives the next destination fresh retries" {
    login
    foreach attempt {1 2} {
        dial
        authorized {h323-return-code 0 h323-credit-time 600}
        step ev_setup_done {status ls_007} [list $COLLECT_DEST [play dest_busy enter_dest]]
    }
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_000} [list "timer start named_timer 540 warn"]
    step ev_disconnected {legs 2} [list "timer stop named_timer warn" "leg disconnect leg_outgoing"]
    step ev_disconnect_done {legs 2} [list $COLLECT_DEST [play enter_dest]]
    dial
    authorized {h323-return-code 0 h323-credit-time 600}
    step ev_setup_done {status ls_007} [list $COLLECT_DEST [play dest_busy enter_dest]]
}

scenario "caller hangs up during account entry" {
    answer
    caller_hangs_up [list "call close"]
}

scenario "caller hangs up during PIN entry" {
    answer
    enter_account
    caller_hangs_up [list "call close"]
}

scenario "caller hangs up during authentication" {
    answer
    enter_account
    enter_pin
    caller_hangs_up [list "call close"]
}

scenario "caller hangs up during destination entry" {
    login
    caller_hangs_up [list "call close"]
}

scenario "caller hangs up during authorize" {
    login
    dial
    caller_hangs_up [list "call close"]
    if {![catch {ivr::deliver ev_authorize_done status au_000}]} {
        error "an event was delivered after call close"
    }
}

scenario "caller hangs up while the destination rings" {
    login
    dial
    authorized {h323-return-code 0 h323-credit-time 300}
    caller_hangs_up [list "call close"]
}

scenario "caller hangs up during the call" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 240 warn"]
    wait 10 {}
    caller_hangs_up [list "timer stop named_timer warn" "call close"]
}

scenario "caller hangs up during the warning" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 240 warn"]
    wait 240 [list "timer start named_timer 60 expire" "connection destroy con_all"]
    step ev_destroy_done {} [list [play credit_warning]]
    caller_hangs_up [list "timer stop named_timer expire" "call close"]
}

scenario "caller hangs up while hearing credit exhausted" {
    talking {h323-return-code 0 h323-credit-time 45} [list "timer start named_timer 45 expire"]
    wait 45 [list "leg disconnect leg_outgoing"]
    step ev_disconnect_done {legs 2} [list [play credit_exhausted]]
    caller_hangs_up [list "call close"]
}

scenario "caller hangs up after the far end did" {
    talking {h323-return-code 0 h323-credit-time 300} [list "timer start named_timer 240 warn"]
    step ev_disconnected {legs 2} [list "timer stop named_timer warn" "leg disconnect leg_outgoing"]
    caller_hangs_up [list "call close"]
}

scenario "credit runs out while the warning is still playing" {
    talking {h323-return-code 0 h323-credit-time 62} [list "timer start named_timer 2 warn"]
    wait 2 [list "timer start named_timer 60 expire" "connection destroy con_all"]
    step ev_destroy_done {} [list [play credit_warning]]
    wait 60 [list "leg disconnect leg_outgoing"]
    expect_state EXPIRING
    step ev_media_done {} {}
    step ev_disconnect_done {legs 2} [list [play credit_exhausted]]
    hangs_up_after_prompt
}

scenario "language es from h323-preferred-lang switches the prompts" {
    answer -cfg {languages en,es}
    enter_account
    enter_pin
    set lang es
    step ev_authenticate_done {status ad_000 avpairs {h323-return-code 0 h323-credit-amount 3 h323-preferred-lang es}} \
        [list $COLLECT_DEST [play you_have %a300 enter_dest]]
    step ev_collectdigits_done {status cd_006 digits 1} [list $COLLECT_DEST [play invalid_entry enter_dest]]
    dial
    step ev_authorize_done {status au_001 avpairs {h323-return-code 9}} [list $COLLECT_DEST [play dest_blocked enter_dest]]
}

scenario "unsupported preferred language keeps the default" {
    answer -cfg {languages en,es language en}
    enter_account
    enter_pin
    step ev_authenticate_done {status ad_000 avpairs {h323-return-code 0 h323-preferred-lang de}} \
        [list $COLLECT_DEST [play enter_dest]]
}

scenario "language and prompt-location parameters set the first prompt" {
    ivr::new_call -cfg {language fr prompt-location http://prompts.example/ivr/}
    step ev_setup_indication {} [list \
        "leg setupack leg_incoming" "leg proceeding leg_incoming" "leg connect leg_incoming" \
        $COLLECT_ACCOUNT "media play leg_incoming http://prompts.example/ivr/fr_enter_account.au"]
}

scenario "announce-credit 0 skips the balance" {
    answer -cfg {announce-credit 0}
    enter_account
    enter_pin
    step ev_authenticate_done [list status ad_000 avpairs $LOGIN_OK] [list $COLLECT_DEST [play enter_dest]]
}

scenario "digit collection asks for '#'-terminated entries and the dial plan" {
    login
    set digits [ivr::array_of digits]
    check "terminationKey" [dict get $digits terminationKey] #
    check "pattern" [ivr::array_of any_digits] {entry .+}
    set dialing [ivr::array_of dialing]
    check "dialPlan" [dict get $dialing dialPlan] true
    check "dest terminationKey" [dict get $dialing terminationKey] #
}

scenario "events the current state does not expect are ignored" {
    answer
    step ev_media_done {status ms_000} {}
    step ev_named_timer {timer warn} {}
    expect_state GET_ACCOUNT
    enter_account
}

scenario "script uses only Tcl 8.3 syntax (the IOS interpreter)" {
    set f [open $ivr::script]
    set text [read $f]
    close $f
    foreach {re what} {
        {\{\*\}}                       "{*} expansion"
        {(if|while|expr)\s*\{[^\}]*\s(eq|ne|in|ni)\s} "eq/ne/in/ni operators"
        {\m(dict|lassign|lmap|apply|try|lrepeat)\M} "8.5+ command"
    } {
        if {[regexp -line -- "^\[^#\]*$re" $text line]} {
            error "$what: $line"
        }
    }
}

puts "tcl: $passed passed, $failed failed"
exit [expr {$failed > 0}]
