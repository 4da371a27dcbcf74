module gbsnap/goservice

go 1.19
