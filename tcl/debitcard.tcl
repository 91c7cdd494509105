# debitcard.tcl -- radbill prepaid (debit-card) application for Cisco IOS voice gateways.
#
# Tcl IVR API 2.0.  The caller dials the access number, enters account and PIN
# (aaa authenticate), then a destination (aaa authorize).  radbill answers with
# h323-return-code and h323-credit-time; the script places the call, warns the
# caller warning-time seconds before the credit runs out and tears the call
# down when it does.
#
# Written for the Tcl 8.3 interpreter inside IOS: no {*}, eq/ne, in/ni, dict.
# See README.md in this directory for the state machine, parameters, prompts
# and the IOS configuration.

requiredversion 2.0

proc init { } {
    global param_table prompt_text rc_prompt digits any_digits dialing

    # Configurable parameters: name, default, type, description.  Set them with
    # "param NAME VALUE" under "service debit" in IOS application mode.
    set param_table {
        retry-count             3               i "Attempts allowed at each entry (account, PIN, destination)"
        warning-time            60              i "Seconds before the credit runs out at which the caller is warned"
        language                en              s "Prompt language until h323-preferred-lang says otherwise"
        languages               en              s "Languages with prompts installed, comma separated (en,es)"
        prompt-location         flash:          s "URL prefix of the prompt files"
        announce-credit         1               i "1 = tell the caller the balance after login"
        alert-timeout           30              i "Seconds the destination may ring before it counts as no answer"
        customer-service-number none            s "Number dialled for h323-return-code 52; none = not offered"
        session-timeout-avpair  session-timeout s "aaa_avpair name of RADIUS Session-Timeout; none = ignore it"
        route-max               5               i "Routes of radbill's route list tried in turn (radbill-route-1 ...); 0 = ignore the list"
        route-format            sip:%s@%s       s "Destination of a route: format of the number and the route's address"
    }
    foreach {name default type description} $param_table {
        param register $name $description $default $type
    }

    # Every prompt, with what it says.  The file played is
    # <prompt-location><language>_<name>.au, e.g. flash:en_enter_account.au.
    array set prompt_text {
        enter_account        "Please enter your account number, then the pound key."
        enter_pin            "Please enter your PIN, then the pound key."
        enter_dest           "Please enter the number you want to call."
        invalid_entry        "Sorry, that entry is not valid."
        you_have             "You have ... (the balance follows)"
        invalid_account      "The account number is not valid."
        invalid_pin          "The PIN is not valid."
        account_in_use       "This account is already in use."
        zero_balance         "There is no credit left on this account."
        card_expired         "This card has expired."
        credit_limit         "The credit limit of this account has been reached."
        user_denied          "This account may not make calls."
        no_service           "The service is not available at the moment."
        dest_blocked         "Calls to this number are not allowed."
        retries_exceeded     "Too many attempts. Goodbye."
        invalid_argument     "The number you entered is not valid."
        insufficient_balance "There is not enough credit for this call."
        invalid_card         "The card number is not valid."
        dest_busy            "The number you called is busy."
        dest_no_answer       "The number you called does not answer."
        dest_unreachable     "The number you called cannot be reached."
        credit_warning       "(beep) Your credit is about to run out."
        credit_exhausted     "Your credit has run out. Goodbye."
    }

    # h323-return-code -> prompt.  0 and 13 let the call proceed, 50-53 route
    # it (act_Authorized); any other code plays no_service.
    array set rc_prompt {
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

    # Account and PIN: any length, ended by '#'.  The prompt may be
    # interrupted so regular callers can type ahead.
    array set digits {
        interruptPrompt true
        terminationKey  #
    }
    set any_digits(entry) .+

    # Destination: complete when it matches the gateway's dial plan, or '#'.
    array set dialing {
        interruptPrompt true
        terminationKey  #
        dialPlan        true
        dialPlanTerm    true
    }
}

# --- helpers ---------------------------------------------------------------

# Read the parameters for this call: configured value, else the default.
proc load_params { } {
    global param_table param
    foreach {name default type description} $param_table {
        if {[infotag get cfg_avpair_exists $name]} {
            set param($name) [string trim [infotag get cfg_avpair $name]]
        } else {
            set param($name) $default
        }
    }
}

# Prompt URLs in the caller's language.  Dynamic prompts (%a..., %t...) pass
# through untouched.
proc prompts { args } {
    global param prompt_text caller
    set urls {}
    foreach name $args {
        if {[string first % $name] == 0} {
            lappend urls $name
        } elseif {[info exists prompt_text($name)]} {
            lappend urls "$param(prompt-location)$caller(lang)_$name.au"
        } else {
            error "debitcard: no prompt called $name"
        }
    }
    return $urls
}

proc play { args } {
    eval [list media play leg_incoming] [eval prompts $args]
}

# The value of one AV pair of the last AAA reply, "" when absent.  Servers may
# send Cisco's "name=value" form; only the value is kept.
proc avpair { name } {
    if {![infotag get aaa_avpair_exists $name]} {
        return ""
    }
    set value [string trim [infotag get aaa_avpair $name]]
    if {[string first "$name=" $value] == 0} {
        set value [string range $value [string length "$name="] end]
    }
    return $value
}

# h323-return-code of the last AAA reply.  A reply without one means success
# (0) or, for a reject or no answer, service not available (8).  A reject never
# lets the caller's own call through, whatever code it carries.
proc return_code { ok } {
    set rc [avpair h323-return-code]
    if {![string is integer -strict $rc]} {
        set rc [expr {$ok ? 0 : 8}]
    }
    if {!$ok && ($rc == 0 || $rc == 13)} {
        set rc 8
    }
    return $rc
}

# Session-Timeout, when the gateway exposes it.  IOS releases differ in the
# name under which aaa_avpair shows standard attributes and an unknown name is
# an error there, so a failed lookup must not end the call.
proc session_timeout { } {
    global param
    set name $param(session-timeout-avpair)
    if {[string equal $name none] || [catch {avpair $name} seconds]} {
        return ""
    }
    return $seconds
}

# Seconds the caller may talk: h323-credit-time capped by Session-Timeout.
# "" means no limit (postpaid account or a free call).
proc credit_limit { } {
    set limit ""
    foreach seconds [list [avpair h323-credit-time] [session_timeout]] {
        if {[string equal $seconds ""]} {
            continue
        }
        if {![string is integer -strict $seconds] || $seconds < 0} {
            set seconds 0
        }
        if {[string equal $limit ""] || $seconds < $limit} {
            set limit $seconds
        }
    }
    return $limit
}

# Ask for one entry (account, pin or dest), after the given lead-in prompts.
proc collect { entry args } {
    global digits any_digits dialing
    array set how {
        account {GET_ACCOUNT enter_account {digits any_digits}}
        pin     {GET_PIN     enter_pin     {digits any_digits}}
        dest    {GET_DEST    enter_dest    {dialing}}
    }
    foreach {state prompt arrays} $how($entry) break
    eval [list leg collectdigits leg_incoming] $arrays
    eval play $args [list $prompt]
    fsm setstate $state
}

proc collected { } {
    set status [infotag get evt_status]
    return [expr {([string equal $status cd_004] || [string equal $status cd_005])
                  && ![string equal [infotag get evt_dcdigits] ""]}]
}

# A failed attempt at an entry: explain why and ask again, or give up once
# retry-count attempts have failed.
proc retry { entry why } {
    global caller param
    incr caller(tries,$entry)
    if {$caller(tries,$entry) >= $param(retry-count)} {
        goodbye $why retries_exceeded
    } else {
        collect $entry $why
    }
}

# Play the last prompts, then hang up (GOODBYE -> CLOSING -> call close).
proc goodbye { args } {
    eval play $args
    fsm setstate GOODBYE
}

proc rc_prompt { rc } {
    global rc_prompt
    if {[info exists rc_prompt($rc)]} {
        return $rc_prompt($rc)
    }
    return no_service
}

proc reject_dest { rc } {
    if {$rc == 10} {
        goodbye retries_exceeded
    } else {
        retry dest [rc_prompt $rc]
    }
}

# radbill's ranked route list of the last AAA reply: the addresses of
# radbill-route-1 ... (ADDRESS;PARTNER;PRICE;CURRENCY[;CREDIT]), in rank
# order, up to route-max.
proc route_list { } {
    global param
    set routes {}
    for {set i 1} {$i <= $param(route-max)} {incr i} {
        set name "radbill-route-$i"
        if {![infotag get aaa_avpair_exists $name]} {
            break
        }
        set address [lindex [split [avpair $name] ";"] 0]
        if {![string equal $address ""]} {
            lappend routes $address
        }
    }
    return $routes
}

# Places the call to the next route of the list; 0 when none is left.
proc next_route { } {
    global caller param
    if {[llength $caller(routes)] == 0} {
        return 0
    }
    set address [lindex $caller(routes) 0]
    set caller(routes) [lrange $caller(routes) 1 end]
    place_call [format $param(route-format) $caller(dest) $address] $caller(limit)
    return 1
}

proc place_call { number limit } {
    global caller credit callInfo param
    set credit(limit) $limit
    # Lets the outgoing leg's accounting name the account that pays for it.
    set callInfo(accountNum) $caller(account)
    set callInfo(alertTime) $param(alert-timeout)
    leg setup $number callInfo leg_incoming
}

proc start_timer { name seconds } {
    global credit
    set credit(timer) $name
    timer start named_timer $seconds $name
}

proc stop_credit_timer { } {
    global credit
    if {![string equal $credit(timer) ""]} {
        timer stop named_timer $credit(timer)
        set credit(timer) ""
    }
}

proc caller_hung_up { } {
    return [expr {[lsearch -exact [infotag get evt_legs] [infotag get leg_incoming]] >= 0}]
}

# --- actions ---------------------------------------------------------------

proc act_Setup { } {
    global caller credit param
    load_params
    array unset caller
    array set caller {
        account "" pin "" dest "" amount "" currency "" routes "" limit ""
        tries,account 0 tries,pin 0 tries,dest 0
    }
    set caller(lang) $param(language)
    set caller(ani) [infotag get leg_ani]
    array set credit {limit "" timer ""}

    leg setupack leg_incoming
    leg proceeding leg_incoming
    leg connect leg_incoming
    collect account
}

proc act_GotAccount { } {
    global caller
    if {![collected]} {
        retry account invalid_entry
        return
    }
    set caller(account) [infotag get evt_dcdigits]
    collect pin
}

proc act_GotPin { } {
    global caller
    if {![collected]} {
        retry pin invalid_entry
        return
    }
    set caller(pin) [infotag get evt_dcdigits]
    aaa authenticate $caller(account) $caller(pin)
}

proc act_Authenticated { } {
    global caller param
    set rc [return_code [string equal [infotag get evt_status] ad_000]]
    switch -- $rc {
        0 - 13 {
            set caller(amount) [avpair h323-credit-amount]
            set caller(currency) [avpair h323-currency]
            set lang [avpair h323-preferred-lang]
            if {![string equal $lang ""]
                && [lsearch -exact [split $param(languages) ", "] $lang] >= 0} {
                set caller(lang) $lang
            }
            # Shown by "debug voip ivr script".
            puts "debitcard: account $caller(account) balance $caller(amount) $caller(currency) language $caller(lang)"
            set lead {}
            if {$param(announce-credit) && [string is double -strict $caller(amount)]} {
                # %a speaks an amount given in cents.
                set lead [list you_have %a[expr {round($caller(amount) * 100)}]]
            }
            eval collect dest $lead
        }
        2       { retry pin invalid_pin }
        10      { goodbye retries_exceeded }
        default { retry account [rc_prompt $rc] }
    }
}

proc act_GotDest { } {
    global caller
    if {![collected]} {
        retry dest invalid_entry
        return
    }
    set caller(dest) [infotag get evt_dcdigits]
    aaa authorize $caller(account) $caller(pin) $caller(ani) $caller(dest) leg_incoming
}

proc act_Authorized { } {
    global caller param
    set rc [return_code [string equal [infotag get evt_status] au_000]]
    set limit [credit_limit]
    # Free and redirected calls are not cut off by a zero credit time.
    set free_limit $limit
    if {[string equal $limit 0]} {
        set free_limit ""
    }
    switch -- $rc {
        0 - 50 {
            # 50 (hairpin to PSTN) is routed by the gateway's dial peers;
            # with a route list each route is tried in rank order.
            set caller(routes) [route_list]
            set caller(limit) $limit
            if {[string equal $limit 0]} {
                reject_dest 4
            } elseif {![next_route]} {
                place_call $caller(dest) $limit
            }
        }
        13 { place_call $caller(dest) $free_limit }
        51 {
            set number [avpair h323-redirect-number]
            if {[string equal $number ""]} {
                reject_dest 8
            } else {
                place_call $number $free_limit
            }
        }
        52 {
            if {[string equal $param(customer-service-number) none]} {
                reject_dest 8
            } else {
                place_call $param(customer-service-number) $free_limit
            }
        }
        default { reject_dest $rc }
    }
}

proc act_SetupDone { } {
    global caller credit param
    switch -- [infotag get evt_status] {
        ls_000 {
            set caller(tries,dest) 0
            # Without a limit the call runs until someone hangs up.
            set limit $credit(limit)
            if {[string equal $limit ""]} {
                return
            }
            if {$limit > $param(warning-time)} {
                start_timer warn [expr {$limit - $param(warning-time)}]
            } else {
                start_timer expire $limit
            }
        }
        ls_007  { retry dest dest_busy }
        ls_002  { retry dest dest_no_answer }
        default {
            # The route did not take the call: the next one may.
            if {[next_route]} {
                fsm setstate PLACING
            } else {
                retry dest dest_unreachable
            }
        }
    }
}

proc act_CreditTimer { } {
    global credit param
    if {[string equal [infotag get evt_timer_name] warn]} {
        # The expiry clock runs on while the caller hears the warning; the
        # parties are split for the prompt and joined again after it.
        start_timer expire $param(warning-time)
        connection destroy con_all
        fsm setstate WARNING
    } else {
        set credit(timer) ""
        leg disconnect leg_outgoing
        fsm setstate EXPIRING
    }
}

proc act_PlayWarning { } {
    play credit_warning
}

proc act_Rejoin { } {
    connection create [infotag get leg_incoming] [infotag get leg_outgoing]
}

proc act_PlayExhausted { } {
    goodbye credit_exhausted
}

# The called party hung up: release their leg, then the caller may dial again.
proc act_TalkDisconnected { } {
    if {[caller_hung_up]} {
        act_Disconnected
        return
    }
    stop_credit_timer
    leg disconnect leg_outgoing
}

proc act_NextCall { } {
    collect dest
}

proc act_Hangup { } {
    leg disconnect leg_incoming
}

# Only the caller hanging up matters here: an outgoing leg that drops while it
# is being set up or torn down reports through ev_setup_done/ev_disconnect_done.
proc act_Disconnected { } {
    if {[caller_hung_up]} {
        stop_credit_timer
        call close
    }
}

proc act_Close { } {
    call close
}

# --- state machine ---------------------------------------------------------

init

set fsm(any_state,ev_disconnected)            "act_Disconnected     same_state"
set fsm(CALL_INIT,ev_setup_indication)        "act_Setup            GET_ACCOUNT"
set fsm(GET_ACCOUNT,ev_collectdigits_done)    "act_GotAccount       GET_PIN"
set fsm(GET_PIN,ev_collectdigits_done)        "act_GotPin           AUTHENTICATING"
set fsm(AUTHENTICATING,ev_authenticate_done)  "act_Authenticated    GET_DEST"
set fsm(GET_DEST,ev_collectdigits_done)       "act_GotDest          AUTHORIZING"
set fsm(AUTHORIZING,ev_authorize_done)        "act_Authorized       PLACING"
set fsm(PLACING,ev_setup_done)                "act_SetupDone        TALKING"
set fsm(TALKING,ev_named_timer)               "act_CreditTimer      WARNING"
set fsm(TALKING,ev_disconnected)              "act_TalkDisconnected FAR_END_GONE"
set fsm(WARNING,ev_destroy_done)              "act_PlayWarning      same_state"
set fsm(WARNING,ev_media_done)                "act_Rejoin           TALKING"
set fsm(WARNING,ev_named_timer)               "act_CreditTimer      EXPIRING"
set fsm(WARNING,ev_disconnected)              "act_TalkDisconnected FAR_END_GONE"
set fsm(FAR_END_GONE,ev_disconnect_done)      "act_NextCall         GET_DEST"
set fsm(EXPIRING,ev_disconnect_done)          "act_PlayExhausted    GOODBYE"
set fsm(GOODBYE,ev_media_done)                "act_Hangup           CLOSING"
set fsm(CLOSING,ev_disconnect_done)           "act_Close            same_state"

fsm define fsm CALL_INIT
