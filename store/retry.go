package store

import (
	"errors"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
)

// TransactionRetries counts transactions run again because they lost a
// deadlock — on Galera also a certification conflict with another node's
// commit, reported as the same error 1213 at COMMIT — by the part of
// radbill that ran them. radiusd registers it.
var TransactionRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "radbill_transaction_retries_total",
	Help: "Transactions run again after a deadlock or a Galera certification conflict (MySQL error 1213), by part: writer, limits, admin.",
}, []string{"part"})

// maxRetries bounds the attempts of one transaction.
const maxRetries = 5

// IsDeadlock tells a transaction that lost a deadlock or a Galera
// certification conflict, which a new attempt may win.
func IsDeadlock(err error) bool {
	var my *mysql.MySQLError
	return errors.As(err, &my) && my.Number == 1213
}

// RetryDeadlocks runs try until it does not lose a deadlock, up to
// maxRetries times, waiting a little longer before each new attempt;
// part names the caller in TransactionRetries.
func RetryDeadlocks(part string, try func() error) error {
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil || attempt == maxRetries || !IsDeadlock(err) {
			return err
		}
		TransactionRetries.WithLabelValues(part).Inc()
		time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
	}
}
