module github.com/sipas-go/sipas

go 1.25.0
